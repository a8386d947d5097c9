namespace Baton.Access;

/// <summary>Settings under <c>Baton:Auth</c>.</summary>
public sealed class AccessOptions
{
    /// <summary>The first administrator's email. With <see cref="AdminPassword"/> set, no credentials file is written.</summary>
    public string AdminEmail { get; set; } = "admin@baton.local";
    public string? AdminPassword { get; set; }
    /// <summary>A token's lifetime when the sign-in does not ask for one (Orkes: 45 minutes).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(45);
    /// <summary>The longest lifetime a sign-in may ask for with <c>expiration</c>.</summary>
    public TimeSpan MaxTokenLifetime { get; set; } = TimeSpan.FromHours(24);
    public int MinimumPasswordLength { get; set; } = 12;
    /// <summary>Failed sign-ins allowed per identity in <see cref="FailureWindow"/> before 429 (per client address: four times as many).</summary>
    public int FailuresBeforeThrottle { get; set; } = 5;
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);
    /// <summary>The longest wait a throttled client is told to keep; the wait doubles with each further failure.</summary>
    public TimeSpan MaxThrottle { get; set; } = TimeSpan.FromMinutes(15);
}
