using System.Security.Cryptography;
using System.Text;

namespace Baton.Secrets.Crypto;

/// <summary>The 256-bit key that wraps the <see cref="Keyring"/> (Vault's unseal key). It never encrypts secret
/// values itself, so replacing it only re-wraps the keyring. <see cref="ToString"/> and <see cref="Fingerprint"/>
/// are safe to log; the key bytes leave this object only through <see cref="ToBase64"/>.</summary>
public sealed class MasterKey : IDisposable
{
    public const int Size = 32;

    private static readonly byte[] FingerprintLabel = Encoding.ASCII.GetBytes("baton/master-key/fingerprint");

    private readonly byte[] _key;
    private bool _disposed;

    private MasterKey(byte[] key)
    {
        _key = key;
        Fingerprint = ComputeFingerprint(key);
    }

    /// <summary>"mk:" + 16 lowercase hex characters of HMAC-SHA256(key, "baton/master-key/fingerprint"). A keyed
    /// one-way value: it names the key without revealing anything usable about it.</summary>
    public string Fingerprint { get; }

    /// <exception cref="ArgumentException">The span is not exactly 32 bytes.</exception>
    public static MasterKey FromBytes(ReadOnlySpan<byte> key)
    {
        if (key.Length != Size)
        {
            throw new ArgumentException($"A master key is exactly {Size} bytes (256 bits); {key.Length} bytes were given.", nameof(key));
        }
        return new MasterKey(key.ToArray());
    }

    /// <summary>Reads a key written as base64 (surrounding whitespace, such as a key file's trailing newline, is
    /// ignored).</summary>
    /// <exception cref="FormatException">Not base64, or not 32 bytes once decoded. The message never repeats the
    /// input.</exception>
    public static MasterKey FromBase64(string base64)
    {
        ArgumentNullException.ThrowIfNull(base64);
        var text = base64.AsSpan().Trim();
        // 32 bytes are 44 base64 characters; anything far longer is not a master key, and decoding it would only
        // spread a possibly secret value over more memory.
        if (text.Length == 0)
        {
            throw new FormatException("The master key is empty: expected 32 bytes of base64 (44 characters, e.g. from `openssl rand -base64 32`).");
        }
        if (text.Length > 64)
        {
            throw new FormatException($"The master key is {text.Length} characters long: expected 32 bytes of base64 (44 characters).");
        }
        Span<byte> buffer = stackalloc byte[48];
        try
        {
            if (!Convert.TryFromBase64Chars(text, buffer, out var written))
            {
                throw new FormatException("The master key is not valid base64: expected 32 bytes of base64 (44 characters, e.g. from `openssl rand -base64 32`).");
            }
            if (written != Size)
            {
                throw new FormatException($"The master key decodes to {written} bytes: expected 32 bytes of base64 (44 characters).");
            }
            return new MasterKey(buffer[..Size].ToArray());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    public static MasterKey Generate() => new(RandomNumberGenerator.GetBytes(Size));

    /// <summary>The key as base64, for writing the generated key file. Never log it.</summary>
    public string ToBase64()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Convert.ToBase64String(_key);
    }

    public override string ToString() => $"MasterKey {Fingerprint}";

    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(_key);
    }

    internal ReadOnlySpan<byte> Bytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _key;
        }
    }

    private static string ComputeFingerprint(ReadOnlySpan<byte> key)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, FingerprintLabel, mac);
        return "mk:" + Convert.ToHexStringLower(mac[..8]);
    }
}
