namespace Baton.Engine.Execution;

/// <summary>Epoch milliseconds, the unit of every time field in the wire format.</summary>
public static class Clock
{
    public static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
