using System.Security.Cryptography;

namespace Baton.Secrets.Crypto;

/// <summary>A keyed fingerprint of a secret value for the run manifest: equal values give equal fingerprints within
/// one deployment, and without the keyring nobody can test a guess against it (unlike a plain hash of a short
/// password).</summary>
public static class SecretFingerprint
{
    public const string Purpose = "run-manifest-fingerprint";

    /// <summary>"hmac:" + the first 16 lowercase hex characters of
    /// HMAC-SHA256(keyring.PurposeKey("run-manifest-fingerprint"), value).</summary>
    public static string Of(Keyring keyring, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(keyring.PurposeKey(Purpose), value, mac);
        return "hmac:" + Convert.ToHexStringLower(mac[..8]);
    }
}
