namespace Baton.Secrets.Crypto;

/// <summary>A stored secret value could not be decrypted. The message names the secret and version (when known)
/// and what failed; it never holds plaintext, ciphertext or key bytes.</summary>
public sealed class SecretDecryptionException : Exception
{
    public SecretDecryptionException()
        : base("A secret value does not decrypt.")
    {
    }

    public SecretDecryptionException(string message) : base(message)
    {
    }

    public SecretDecryptionException(string message, Exception innerException) : base(message, innerException)
    {
    }

    internal SecretDecryptionException(string? secretName, int? version, string reason, Exception? innerException = null)
        : base(Describe(secretName, version, reason), innerException)
    {
        SecretName = secretName;
        Version = version;
        Reason = reason;
    }

    /// <summary>The secret whose value failed, when the caller named it.</summary>
    public string? SecretName { get; }

    public int? Version { get; }

    /// <summary>What failed, as a predicate: "does not decrypt: …", "uses unknown key term 7", "is too short to be a
    /// secret value", "has unknown format 9".</summary>
    public string? Reason { get; }

    private static string Describe(string? secretName, int? version, string reason) =>
        secretName is null ? $"The stored secret value {reason}." : $"Secret '{secretName}' version {version} {reason}.";
}
