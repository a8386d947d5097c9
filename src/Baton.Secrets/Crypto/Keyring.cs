using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Baton.Secrets.Crypto;

/// <summary>Versioned data keys ("terms"), wrapped by the master key: Vault's keyring and root key. The newest term
/// encrypts; every older term stays readable, so rotating never re-encrypts stored values. The keyring also keeps
/// stable keys for other purposes (<see cref="PurposeKey"/>). All members are safe to call from many threads.</summary>
/// <remarks>Whatever changes the keyring (<see cref="Rotate"/>, the first ask for a purpose key, encryption counts)
/// lives only in memory until the caller stores <see cref="Wrap"/>'s output again.</remarks>
public sealed class Keyring
{
    /// <summary>2^32 - 2^24: AES-GCM with random 96-bit nonces must stay well under 2^32 encryptions per key (NIST
    /// SP 800-38D); this leaves 16.7 million encryptions of margin. It is also the largest value allowed.</summary>
    public const long DefaultRotateAfterEncryptions = (1L << 32) - (1L << 24);

    internal const int KeySize = 32;
    internal const int NonceSize = 12;
    internal const int TagSize = 16;

    /// <summary>Encryption counts are only as durable as the last stored keyring; <see cref="SecretCipher"/> asks
    /// for a save this often so a crash forgets at most this many encryptions of the active term.</summary>
    internal const long CountCheckpointInterval = 1 << 16;

    private const byte WrapFormat = 1;
    private const byte PayloadFormat = 1;
    private const int MaxPurposeLength = 128;
    private static readonly byte[] Magic = "BTKR"u8.ToArray();
    private static readonly SearchValues<byte> LowerHex = SearchValues.Create("0123456789abcdef"u8);

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly List<TermEntry> _terms = [];
    private readonly Dictionary<string, byte[]> _purposeKeys = new(StringComparer.Ordinal);
    private long _rotateAfterEncryptions = DefaultRotateAfterEncryptions;
    private int _unpublishedTerm;

    private Keyring(TimeProvider? time) => _time = time ?? TimeProvider.System;

    /// <summary>A new keyring whose term 1 is active.</summary>
    public static Keyring Create(TimeProvider? time = null)
    {
        var keyring = new Keyring(time);
        keyring._terms.Add(new TermEntry(1, keyring._time.GetUtcNow(), 0, RandomNumberGenerator.GetBytes(KeySize)));
        return keyring;
    }

    /// <summary>The term new values are encrypted with: always the newest.</summary>
    public int ActiveTerm
    {
        get
        {
            lock (_lock)
            {
                return _terms[^1].Term;
            }
        }
    }

    /// <summary>Every term, oldest first, as metadata.</summary>
    public IReadOnlyList<KeyTerm> Terms
    {
        get
        {
            lock (_lock)
            {
                return [.. _terms.Select(t => t.Describe())];
            }
        }
    }

    /// <summary>When the active term has encrypted this many values, <see cref="SecretCipher.Encrypt"/> rotates
    /// before encrypting again. Between 1 and <see cref="DefaultRotateAfterEncryptions"/>; stored with the
    /// keyring.</summary>
    public long RotateAfterEncryptions
    {
        get => Interlocked.Read(ref _rotateAfterEncryptions);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, DefaultRotateAfterEncryptions);
            Interlocked.Exchange(ref _rotateAfterEncryptions, value);
        }
    }

    /// <summary>Adds a new data key and makes it active. Older terms stay readable. Store the keyring
    /// (<see cref="Wrap"/>) before relying on values encrypted under the new term.</summary>
    public KeyTerm Rotate()
    {
        lock (_lock)
        {
            _unpublishedTerm = 0;
            return AddTermLocked().Describe();
        }
    }

    /// <summary>A stable 32-byte key for another purpose (e.g. "run-manifest-fingerprint", "token-signing"), created
    /// on first ask and kept across data-key and master-key rotations. A newly created purpose key exists only in
    /// memory until the keyring is wrapped and stored again.</summary>
    public ReadOnlySpan<byte> PurposeKey(string purpose)
    {
        ArgumentException.ThrowIfNullOrEmpty(purpose);
        if (purpose.Length > MaxPurposeLength || !purpose.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':'))
        {
            throw new ArgumentException(
                $"A key purpose is 1 to {MaxPurposeLength} characters of ASCII letters, digits and - _ . / : (got '{purpose}').",
                nameof(purpose));
        }
        lock (_lock)
        {
            if (!_purposeKeys.TryGetValue(purpose, out var key))
            {
                key = RandomNumberGenerator.GetBytes(KeySize);
                _purposeKeys.Add(purpose, key);
            }
            return key;
        }
    }

    /// <summary>Whether a key for <paramref name="purpose"/> exists (asking <see cref="PurposeKey"/> would not create one).</summary>
    public bool HasPurposeKey(string purpose)
    {
        lock (_lock)
        {
            return _purposeKeys.ContainsKey(purpose);
        }
    }

    /// <summary>The bytes to store: a clear header holding the wrapping master key's fingerprint, then
    /// AES-256-GCM(master key, terms and purpose keys) with the header as associated data.</summary>
    /// <remarks>Layout: <c>"BTKR"</c> | format 1 | fingerprint length (1 byte) | fingerprint (ASCII) | nonce (12) |
    /// tag (16) | ciphertext.</remarks>
    public byte[] Wrap(MasterKey master)
    {
        ArgumentNullException.ThrowIfNull(master);
        var header = Header(master.Fingerprint);
        byte[] payload;
        lock (_lock)
        {
            payload = SerializeLocked();
        }
        try
        {
            var blob = new byte[header.Length + NonceSize + TagSize + payload.Length];
            header.CopyTo(blob, 0);
            var nonce = blob.AsSpan(header.Length, NonceSize);
            var tag = blob.AsSpan(header.Length + NonceSize, TagSize);
            var ciphertext = blob.AsSpan(header.Length + NonceSize + TagSize);
            RandomNumberGenerator.Fill(nonce);
            using var aes = new AesGcm(master.Bytes, TagSize);
            aes.Encrypt(nonce, payload, ciphertext, tag, header);
            return blob;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload);
        }
    }

    /// <exception cref="WrongMasterKeyException">The blob was wrapped by another master key.</exception>
    /// <exception cref="KeyringCorruptException">The blob does not decrypt or does not parse.</exception>
    public static Keyring Unwrap(ReadOnlySpan<byte> blob, MasterKey master, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(master);
        var fingerprint = ReadHeader(blob, out var headerLength);
        if (!string.Equals(fingerprint, master.Fingerprint, StringComparison.Ordinal))
        {
            throw new WrongMasterKeyException(fingerprint, master.Fingerprint);
        }
        if (blob.Length < headerLength + NonceSize + TagSize)
        {
            throw new KeyringCorruptException($"The stored keyring is truncated: {blob.Length} bytes is shorter than its header, nonce and tag.");
        }
        var nonce = blob.Slice(headerLength, NonceSize);
        var tag = blob.Slice(headerLength + NonceSize, TagSize);
        var ciphertext = blob[(headerLength + NonceSize + TagSize)..];
        var payload = new byte[ciphertext.Length];
        try
        {
            try
            {
                using var aes = new AesGcm(master.Bytes, TagSize);
                aes.Decrypt(nonce, ciphertext, tag, payload, blob[..headerLength]);
            }
            catch (AuthenticationTagMismatchException e)
            {
                throw new KeyringCorruptException(
                    $"The stored keyring does not decrypt with master key {fingerprint}, the key that wrapped it: it was altered or damaged after it was written.", e);
            }
            var keyring = new Keyring(time);
            keyring.Deserialize(payload);
            return keyring;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload);
        }
    }

    /// <summary>The fingerprint of the master key that wrapped <paramref name="blob"/>, read from its clear header.</summary>
    /// <exception cref="KeyringCorruptException">The blob has no valid header.</exception>
    public static string WrappedBy(ReadOnlySpan<byte> blob) => ReadHeader(blob, out _);

    public override string ToString()
    {
        lock (_lock)
        {
            return $"Keyring (active term {_terms[^1].Term}, {_terms.Count} term(s), {_purposeKeys.Count} purpose key(s))";
        }
    }

    internal bool TryGetDataKey(int term, out byte[] key)
    {
        lock (_lock)
        {
            // Terms are few and ordered: a search is as fast as a dictionary here.
            foreach (var entry in _terms)
            {
                if (entry.Term == term)
                {
                    key = entry.Key;
                    return true;
                }
            }
        }
        key = [];
        return false;
    }

    /// <summary>Counts one encryption on the active term and hands out its key, unless that term has reached
    /// <see cref="RotateAfterEncryptions"/> or was made by <see cref="RotateIfExhausted"/> and is not yet
    /// published (stored by the caller).</summary>
    internal EncryptionReservation TryReserveEncryption(out int term, out byte[] key, out bool checkpoint)
    {
        lock (_lock)
        {
            var active = _terms[^1];
            checkpoint = false;
            if (active.Term == _unpublishedTerm || active.Encryptions >= RotateAfterEncryptions)
            {
                term = 0;
                key = [];
                return active.Term == _unpublishedTerm ? EncryptionReservation.AwaitingPublication : EncryptionReservation.Exhausted;
            }
            active.Encryptions++;
            checkpoint = active.Encryptions % CountCheckpointInterval == 0;
            term = active.Term;
            key = active.Key;
            return EncryptionReservation.Reserved;
        }
    }

    /// <summary>Rotates when the active term is exhausted; the new term is unpublished until
    /// <see cref="Publish"/>. Returns the unpublished term (0 when there is none).</summary>
    internal int RotateIfExhausted()
    {
        lock (_lock)
        {
            if (_unpublishedTerm == 0 && _terms[^1].Encryptions >= RotateAfterEncryptions)
            {
                _unpublishedTerm = AddTermLocked().Term;
            }
            return _unpublishedTerm;
        }
    }

    internal void Publish(int term)
    {
        lock (_lock)
        {
            if (_unpublishedTerm == term)
            {
                _unpublishedTerm = 0;
            }
        }
    }

    private TermEntry AddTermLocked()
    {
        var entry = new TermEntry(_terms[^1].Term + 1, _time.GetUtcNow(), 0, RandomNumberGenerator.GetBytes(KeySize));
        _terms.Add(entry);
        return entry;
    }

    private static byte[] Header(string fingerprint)
    {
        var fp = Encoding.ASCII.GetBytes(fingerprint);
        var header = new byte[Magic.Length + 2 + fp.Length];
        Magic.CopyTo(header, 0);
        header[Magic.Length] = WrapFormat;
        header[Magic.Length + 1] = checked((byte)fp.Length);
        fp.CopyTo(header, Magic.Length + 2);
        return header;
    }

    private static string ReadHeader(ReadOnlySpan<byte> blob, out int headerLength)
    {
        if (blob.Length < Magic.Length + 2 || !blob.StartsWith(Magic))
        {
            throw new KeyringCorruptException("The stored bytes are not a Baton keyring: the \"BTKR\" header is missing.");
        }
        var format = blob[Magic.Length];
        if (format != WrapFormat)
        {
            throw new KeyringCorruptException($"The stored keyring has format {format}; this version of Baton reads format {WrapFormat}.");
        }
        var length = blob[Magic.Length + 1];
        headerLength = Magic.Length + 2 + length;
        if (blob.Length < headerLength)
        {
            throw new KeyringCorruptException("The stored keyring is truncated inside its header.");
        }
        var fingerprint = blob.Slice(Magic.Length + 2, length);
        if (length != 19 || !fingerprint.StartsWith("mk:"u8) || fingerprint[3..].ContainsAnyExcept(LowerHex))
        {
            throw new KeyringCorruptException("The stored keyring's header does not hold a master key fingerprint (mk: and 16 hex digits).");
        }
        return Encoding.ASCII.GetString(fingerprint);
    }

    // Payload (all integers big-endian): format 1 | rotate-after (int64) | term count (int32) |
    // per term: term (int32), created UTC ticks (int64), encryptions (int64), key (32) |
    // purpose count (int32) | per purpose: name length (uint16), name (UTF-8), key (32).
    private byte[] SerializeLocked()
    {
        var size = 1 + 8 + 4 + (_terms.Count * (4 + 8 + 8 + KeySize)) + 4;
        foreach (var purpose in _purposeKeys.Keys)
        {
            size += 2 + Encoding.UTF8.GetByteCount(purpose) + KeySize;
        }
        var buffer = new byte[size];
        var span = buffer.AsSpan();
        span[0] = PayloadFormat;
        span = span[1..];
        BinaryPrimitives.WriteInt64BigEndian(span, RotateAfterEncryptions);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], _terms.Count);
        span = span[12..];
        foreach (var term in _terms)
        {
            BinaryPrimitives.WriteInt32BigEndian(span, term.Term);
            BinaryPrimitives.WriteInt64BigEndian(span[4..], term.Created.UtcTicks);
            BinaryPrimitives.WriteInt64BigEndian(span[12..], term.Encryptions);
            term.Key.CopyTo(span[20..]);
            span = span[(20 + KeySize)..];
        }
        BinaryPrimitives.WriteInt32BigEndian(span, _purposeKeys.Count);
        span = span[4..];
        foreach (var (purpose, key) in _purposeKeys.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var length = Encoding.UTF8.GetBytes(purpose, span[2..]);
            BinaryPrimitives.WriteUInt16BigEndian(span, checked((ushort)length));
            key.CopyTo(span[(2 + length)..]);
            span = span[(2 + length + KeySize)..];
        }
        return buffer;
    }

    private void Deserialize(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        var format = reader.Byte();
        if (format != PayloadFormat)
        {
            throw Corrupt($"its content has format {format}; this version of Baton reads format {PayloadFormat}");
        }
        var rotateAfter = reader.Int64();
        if (rotateAfter is < 1 or > DefaultRotateAfterEncryptions)
        {
            throw Corrupt($"its rotation threshold {rotateAfter} is out of range");
        }
        _rotateAfterEncryptions = rotateAfter;
        var termCount = reader.Int32();
        if (termCount < 1)
        {
            throw Corrupt("it holds no data key");
        }
        for (var i = 0; i < termCount; i++)
        {
            var term = reader.Int32();
            var ticks = reader.Int64();
            var encryptions = reader.Int64();
            var key = reader.Bytes(KeySize).ToArray();
            if (term < 1 || (_terms.Count > 0 && term <= _terms[^1].Term))
            {
                throw Corrupt($"its key terms are not in ascending order (term {term})");
            }
            if (ticks is < 0 || ticks > DateTimeOffset.MaxValue.UtcTicks || encryptions < 0)
            {
                throw Corrupt($"the metadata of term {term} is out of range");
            }
            _terms.Add(new TermEntry(term, new DateTimeOffset(ticks, TimeSpan.Zero), encryptions, key));
        }
        var purposeCount = reader.Int32();
        if (purposeCount < 0)
        {
            throw Corrupt("its purpose key count is negative");
        }
        for (var i = 0; i < purposeCount; i++)
        {
            var name = reader.Utf8(reader.UInt16());
            var key = reader.Bytes(KeySize).ToArray();
            if (!_purposeKeys.TryAdd(name, key))
            {
                throw Corrupt($"it holds the purpose key '{name}' twice");
            }
        }
        if (!reader.AtEnd)
        {
            throw Corrupt("it has bytes after its last key");
        }
    }

    private static KeyringCorruptException Corrupt(string what) => new($"The stored keyring decrypts but is corrupt: {what}.");

    private ref struct PayloadReader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public readonly bool AtEnd => _rest.IsEmpty;

        public byte Byte() => Bytes(1)[0];

        public ushort UInt16() => BinaryPrimitives.ReadUInt16BigEndian(Bytes(2));

        public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Bytes(4));

        public long Int64() => BinaryPrimitives.ReadInt64BigEndian(Bytes(8));

        public string Utf8(int length)
        {
            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Bytes(length));
            }
            catch (DecoderFallbackException e)
            {
                throw new KeyringCorruptException("The stored keyring decrypts but is corrupt: a purpose name is not UTF-8.", e);
            }
        }

        public ReadOnlySpan<byte> Bytes(int length)
        {
            if (_rest.Length < length)
            {
                throw Corrupt("it ends too early");
            }
            var bytes = _rest[..length];
            _rest = _rest[length..];
            return bytes;
        }
    }

    private sealed class TermEntry(int term, DateTimeOffset created, long encryptions, byte[] key)
    {
        public int Term { get; } = term;

        public DateTimeOffset Created { get; } = created;

        public long Encryptions { get; set; } = encryptions;

        public byte[] Key { get; } = key;

        public KeyTerm Describe() => new(Term, Created, Encryptions);
    }
}
