namespace Baton.Bench.Load;

/// <summary>One request a load client repeats in a closed loop.</summary>
internal interface ILoadOperation
{
    /// <summary>Runs one request; returns null when it succeeded and was correct, else a short failure reason (the error bucket).</summary>
    ValueTask<string?> RunOnceAsync(long sequence, CancellationToken cancellationToken);
}
