namespace Baton.Secrets.Crypto;

/// <summary>The keyring was wrapped by another master key than the one configured. Both are named by fingerprint,
/// so an operator can tell which key file or variable is the right one.</summary>
public sealed class WrongMasterKeyException : Exception
{
    public WrongMasterKeyException(string expectedFingerprint, string givenFingerprint)
        : base($"The keyring was wrapped by master key {expectedFingerprint}, but master key {givenFingerprint} was given. " +
               $"Configure the master key whose fingerprint is {expectedFingerprint} (a new master key can only be " +
               "introduced by re-wrapping the keyring with the old one present).")
    {
        ExpectedFingerprint = expectedFingerprint;
        GivenFingerprint = givenFingerprint;
    }

    public WrongMasterKeyException() : this("(unknown)", "(unknown)")
    {
    }

    public WrongMasterKeyException(string message) : base(message)
    {
        ExpectedFingerprint = GivenFingerprint = "(unknown)";
    }

    public WrongMasterKeyException(string message, Exception innerException) : base(message, innerException)
    {
        ExpectedFingerprint = GivenFingerprint = "(unknown)";
    }

    /// <summary>The fingerprint stored in the keyring blob: the key that wrapped it.</summary>
    public string ExpectedFingerprint { get; }

    /// <summary>The fingerprint of the key that was given.</summary>
    public string GivenFingerprint { get; }
}
