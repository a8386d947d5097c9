namespace Baton.Bench.Load;

/// <summary>The benchmark cannot run (bad server answer, bad options): reported as one line, exit code 1.</summary>
internal sealed class BenchSetupException : Exception
{
    public BenchSetupException()
    {
    }

    public BenchSetupException(string message)
        : base(message)
    {
    }

    public BenchSetupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
