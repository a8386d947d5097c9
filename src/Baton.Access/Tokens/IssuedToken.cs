namespace Baton.Access.Tokens;

/// <summary>A token as issued: its text, and when it expires (whole seconds, as the token carries it).</summary>
public sealed record IssuedToken(string Text, DateTimeOffset ExpiresAt, DateTime IssuedAt)
{
    /// <summary>Whole seconds from issue to expiry.</summary>
    public long ExpiresInSeconds => (long)Math.Floor((ExpiresAt.UtcDateTime - IssuedAt).TotalSeconds);
}
