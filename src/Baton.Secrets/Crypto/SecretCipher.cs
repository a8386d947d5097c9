using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Baton.Secrets.Crypto;

/// <summary>The barrier: encrypts and decrypts secret values with the keyring's data keys, AES-256-GCM with a random
/// 96-bit nonce per value and the secret's name and version as associated data, so a value copied to another name or
/// version does not decrypt. Safe to use from many threads, also while the keyring rotates.</summary>
/// <remarks>Blob layout: format (1 byte, = 1) | term (uint32 big-endian) | nonce (12) | tag (16) | ciphertext.</remarks>
public sealed class SecretCipher
{
    public const byte Format = 1;

    /// <summary>Format byte and term.</summary>
    private const int PrefixSize = 1 + 4;

    /// <summary>The shortest blob: an empty value's prefix, nonce and tag.</summary>
    private const int MinimumSize = PrefixSize + Keyring.NonceSize + Keyring.TagSize;

    private const string DoesNotDecrypt = "does not decrypt: tampered, or stored under another name or version";
    private const string TooShort = "is too short to be a secret value";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Keyring _keyring;
    private readonly Lock _rotationLock = new();

    public SecretCipher(Keyring keyring)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        _keyring = keyring;
    }

    /// <summary>Raised when the keyring changed and must be stored again (wrap it and persist the bytes): after an
    /// automatic rotation, and every 65,536 encryptions so the encryption count survives a restart. It is raised on
    /// the thread calling <see cref="Encrypt"/>, before that call encrypts anything; after an automatic rotation no
    /// value is encrypted under the new term until a handler has returned. A handler that throws makes that
    /// <see cref="Encrypt"/> throw, and the next call raises the event again.</summary>
    public event Action? KeyringChanged;

    public Keyring Keyring => _keyring;

    /// <summary>Encrypts one version of a secret. Counts the encryption on the active term; when the count has
    /// reached <see cref="Keyring.RotateAfterEncryptions"/> it rotates first and raises
    /// <see cref="KeyringChanged"/>.</summary>
    public byte[] Encrypt(string secretName, int version, ReadOnlySpan<byte> plaintext)
    {
        var aad = AssociatedData(secretName, version);
        int term;
        byte[] key;
        while (true)
        {
            var reservation = _keyring.TryReserveEncryption(out term, out key, out var checkpoint);
            if (reservation == EncryptionReservation.Reserved)
            {
                if (checkpoint)
                {
                    KeyringChanged?.Invoke();
                }
                break;
            }
            // One thread rotates and waits for the handlers; the others wait here, then find the new term published.
            lock (_rotationLock)
            {
                var unpublished = _keyring.RotateIfExhausted();
                if (unpublished != 0)
                {
                    KeyringChanged?.Invoke();
                    _keyring.Publish(unpublished);
                }
            }
        }

        var blob = new byte[MinimumSize + plaintext.Length];
        blob[0] = Format;
        BinaryPrimitives.WriteUInt32BigEndian(blob.AsSpan(1), (uint)term);
        var nonce = blob.AsSpan(PrefixSize, Keyring.NonceSize);
        var tag = blob.AsSpan(PrefixSize + Keyring.NonceSize, Keyring.TagSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, Keyring.TagSize);
        aes.Encrypt(nonce, plaintext, blob.AsSpan(MinimumSize), tag, aad);
        return blob;
    }

    /// <exception cref="SecretDecryptionException">The blob is too short, of an unknown format, encrypted under a
    /// term this keyring does not hold, tampered with, or stored under another name or version.</exception>
    public byte[] Decrypt(string secretName, int version, ReadOnlySpan<byte> blob)
    {
        var aad = AssociatedData(secretName, version);
        var term = ReadTerm(blob, secretName, version);
        if (blob.Length < MinimumSize)
        {
            throw new SecretDecryptionException(secretName, version, TooShort);
        }
        if (!_keyring.TryGetDataKey(term, out var key))
        {
            throw new SecretDecryptionException(secretName, version, $"uses unknown key term {term}");
        }
        var plaintext = new byte[blob.Length - MinimumSize];
        try
        {
            using var aes = new AesGcm(key, Keyring.TagSize);
            aes.Decrypt(blob.Slice(PrefixSize, Keyring.NonceSize), blob[MinimumSize..],
                blob.Slice(PrefixSize + Keyring.NonceSize, Keyring.TagSize), plaintext, aad);
            return plaintext;
        }
        catch (AuthenticationTagMismatchException e)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw new SecretDecryptionException(secretName, version, DoesNotDecrypt, e);
        }
    }

    /// <summary>The key term a blob was encrypted under, e.g. to find values still under an old term.</summary>
    /// <exception cref="SecretDecryptionException">The blob is too short or of an unknown format.</exception>
    public static int TermOf(ReadOnlySpan<byte> blob) => ReadTerm(blob, secretName: null, version: null);

    private static int ReadTerm(ReadOnlySpan<byte> blob, string? secretName, int? version)
    {
        if (blob.IsEmpty)
        {
            throw new SecretDecryptionException(secretName, version, TooShort);
        }
        if (blob[0] != Format)
        {
            throw new SecretDecryptionException(secretName, version, $"has unknown format {blob[0]}");
        }
        if (blob.Length < PrefixSize)
        {
            throw new SecretDecryptionException(secretName, version, TooShort);
        }
        var term = BinaryPrimitives.ReadUInt32BigEndian(blob[1..]);
        return term > int.MaxValue ? throw new SecretDecryptionException(secretName, version, $"uses unknown key term {term}") : (int)term;
    }

    /// <summary>"baton/secret/v1/" + name + "/" + version, UTF-8. The version never holds a '/', so reading from the
    /// right recovers name and version: no two (name, version) pairs share associated data.</summary>
    private static byte[] AssociatedData(string secretName, int version)
    {
        ArgumentException.ThrowIfNullOrEmpty(secretName);
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        try
        {
            return StrictUtf8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"baton/secret/v1/{secretName}/{version}"));
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("A secret name must be valid Unicode text (it holds a lone surrogate).", nameof(secretName), e);
        }
    }
}
