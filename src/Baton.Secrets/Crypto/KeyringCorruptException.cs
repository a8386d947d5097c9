namespace Baton.Secrets.Crypto;

/// <summary>The stored keyring is not a keyring this version can read: damaged, altered or truncated. The
/// message says what failed, never any key material.</summary>
public sealed class KeyringCorruptException : Exception
{
    public KeyringCorruptException()
        : base("The stored keyring is corrupt.")
    {
    }

    public KeyringCorruptException(string message) : base(message)
    {
    }

    public KeyringCorruptException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
