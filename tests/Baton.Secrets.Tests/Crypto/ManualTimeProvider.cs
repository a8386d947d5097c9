namespace Baton.Secrets.Tests.Crypto;

/// <summary>A clock the test moves by hand, so key creation times can be compared exactly.</summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
