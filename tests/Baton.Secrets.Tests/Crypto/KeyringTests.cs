using System.Text;
using Baton.Secrets.Crypto;

namespace Baton.Secrets.Tests.Crypto;

public sealed class KeyringTests : IDisposable
{
    private readonly MasterKey _master = MasterKey.Generate();

    [Fact]
    public void A_new_keyring_has_term_1_active_and_rotates_before_2_to_the_32_encryptions()
    {
        var keyring = Keyring.Create();
        var term = Assert.Single(keyring.Terms);
        Assert.Equal(1, keyring.ActiveTerm);
        Assert.Equal(1, term.Term);
        Assert.Equal(0, term.Encryptions);
        Assert.Equal(4_278_190_080L, keyring.RotateAfterEncryptions);
        Assert.Equal((1L << 32) - (1L << 24), Keyring.DefaultRotateAfterEncryptions);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(4_278_190_081L)]
    public void The_rotation_threshold_stays_between_1_and_the_default(long value)
    {
        var keyring = Keyring.Create();
        Assert.Throws<ArgumentOutOfRangeException>(() => keyring.RotateAfterEncryptions = value);
        Assert.Equal(Keyring.DefaultRotateAfterEncryptions, keyring.RotateAfterEncryptions);
    }

    [Fact]
    public void Rotate_adds_an_active_term_and_keeps_the_older_ones()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        var keyring = Keyring.Create(time);
        time.Advance(TimeSpan.FromDays(1));
        var second = keyring.Rotate();
        var third = keyring.Rotate();

        Assert.Equal(new KeyTerm(2, time.GetUtcNow(), 0), second);
        Assert.Equal(3, third.Term);
        Assert.Equal(3, keyring.ActiveTerm);
        Assert.Equal([1, 2, 3], keyring.Terms.Select(t => t.Term));
        Assert.True(keyring.TryGetDataKey(1, out var one));
        Assert.True(keyring.TryGetDataKey(3, out var three));
        Assert.NotEqual(one, three);
        Assert.False(keyring.TryGetDataKey(4, out _));
    }

    [Fact]
    public void The_wrapped_keyring_names_its_master_key_in_clear_and_nothing_else()
    {
        var keyring = Keyring.Create();
        var purpose = keyring.PurposeKey("token-signing").ToArray();
        keyring.Rotate();
        var blob = keyring.Wrap(_master);

        Assert.Equal(_master.Fingerprint, Keyring.WrappedBy(blob));
        Assert.Equal("BTKR"u8.ToArray(), blob[..4]);
        Assert.Equal(1, blob[4]);
        Assert.Equal(_master.Fingerprint, Encoding.ASCII.GetString(blob, 6, blob[5]));
        Assert.False(Contains(blob, purpose));
        Assert.False(Contains(blob, Convert.FromBase64String(_master.ToBase64())));
        foreach (var term in keyring.Terms)
        {
            Assert.True(keyring.TryGetDataKey(term.Term, out var key));
            Assert.False(Contains(blob, key));
        }
        Assert.NotEqual(blob, keyring.Wrap(_master));
    }

    [Fact]
    public void Unwrap_restores_terms_counts_threshold_and_every_key()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 30, 15, 123, TimeSpan.Zero).AddTicks(4567));
        var keyring = Keyring.Create(time);
        keyring.RotateAfterEncryptions = 1000;
        var cipher = new SecretCipher(keyring);
        var value = cipher.Encrypt("db-password", 1, "s3cr3t-value"u8);
        time.Advance(TimeSpan.FromHours(3));
        keyring.Rotate();
        cipher.Encrypt("db-password", 2, "another"u8);
        var purpose = keyring.PurposeKey("run-manifest-fingerprint").ToArray();

        var unwrapped = Keyring.Unwrap(keyring.Wrap(_master), _master, time);

        Assert.Equal(keyring.Terms, unwrapped.Terms);
        Assert.Equal(2, unwrapped.ActiveTerm);
        Assert.Equal(1000, unwrapped.RotateAfterEncryptions);
        Assert.Equal(purpose, unwrapped.PurposeKey("run-manifest-fingerprint").ToArray());
        Assert.Equal("s3cr3t-value"u8.ToArray(), new SecretCipher(unwrapped).Decrypt("db-password", 1, value));
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(time.GetUtcNow(), unwrapped.Rotate().Created);
    }

    [Fact]
    public void Unwrap_with_another_master_key_names_both_fingerprints_and_no_key()
    {
        using var other = MasterKey.Generate();
        var blob = Keyring.Create().Wrap(_master);

        var e = Assert.Throws<WrongMasterKeyException>(() => Keyring.Unwrap(blob, other));
        Assert.Equal(_master.Fingerprint, e.ExpectedFingerprint);
        Assert.Equal(other.Fingerprint, e.GivenFingerprint);
        Assert.Contains($"wrapped by master key {_master.Fingerprint}, but master key {other.Fingerprint} was given", e.Message, StringComparison.Ordinal);
        AssertNoKeyMaterial(e.ToString(), _master, other);
    }

    [Fact]
    public void Any_changed_byte_after_the_header_makes_the_keyring_corrupt()
    {
        var blob = Keyring.Create().Wrap(_master);
        var headerLength = 6 + blob[5];
        for (var i = headerLength; i < blob.Length; i++)
        {
            var tampered = (byte[])blob.Clone();
            tampered[i] ^= 0x01;
            var e = Assert.Throws<KeyringCorruptException>(() => Keyring.Unwrap(tampered, _master));
            Assert.Contains("does not decrypt with master key " + _master.Fingerprint, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_changed_header_is_refused_before_anything_is_decrypted()
    {
        var blob = Keyring.Create().Wrap(_master);

        var format = (byte[])blob.Clone();
        format[4] = 2;
        Assert.Contains("has format 2", Assert.Throws<KeyringCorruptException>(() => Keyring.Unwrap(format, _master)).Message, StringComparison.Ordinal);

        var magic = (byte[])blob.Clone();
        magic[0] = (byte)'X';
        Assert.Contains("not a Baton keyring", Assert.Throws<KeyringCorruptException>(() => Keyring.Unwrap(magic, _master)).Message, StringComparison.Ordinal);

        var fingerprint = (byte[])blob.Clone();
        fingerprint[6] = (byte)'x';
        Assert.Contains("fingerprint", Assert.Throws<KeyringCorruptException>(() => Keyring.WrappedBy(fingerprint)).Message, StringComparison.Ordinal);

        // A fingerprint edited into another valid one claims another key: refused as such, never decrypted.
        var otherKey = (byte[])blob.Clone();
        var last = 6 + blob[5] - 1;
        otherKey[last] = otherKey[last] == (byte)'0' ? (byte)'1' : (byte)'0';
        var e = Assert.Throws<WrongMasterKeyException>(() => Keyring.Unwrap(otherKey, _master));
        Assert.Equal(Keyring.WrappedBy(otherKey), e.ExpectedFingerprint);
        Assert.NotEqual(_master.Fingerprint, e.ExpectedFingerprint);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(25)]
    [InlineData(40)]
    public void A_truncated_keyring_is_corrupt(int length)
    {
        var blob = Keyring.Create().Wrap(_master);
        Assert.Throws<KeyringCorruptException>(() => Keyring.Unwrap(blob.AsSpan(0, length), _master));
        Assert.Throws<KeyringCorruptException>(() => Keyring.Unwrap(blob.AsSpan(0, blob.Length - 1), _master));
    }

    [Fact]
    public void A_purpose_key_is_stable_distinct_and_survives_both_kinds_of_rotation()
    {
        var keyring = Keyring.Create();
        var signing = keyring.PurposeKey("token-signing").ToArray();
        var manifest = keyring.PurposeKey("run-manifest-fingerprint").ToArray();

        Assert.Equal(32, signing.Length);
        Assert.NotEqual(signing, manifest);
        Assert.Equal(signing, keyring.PurposeKey("token-signing").ToArray());
        Assert.True(keyring.TryGetDataKey(1, out var dataKey));
        Assert.NotEqual(dataKey, signing);

        keyring.Rotate();
        Assert.Equal(signing, keyring.PurposeKey("token-signing").ToArray());

        using var newMaster = MasterKey.Generate();
        var rewrapped = Keyring.Unwrap(keyring.Wrap(newMaster), newMaster);
        Assert.Equal(signing, rewrapped.PurposeKey("token-signing").ToArray());
        Assert.Equal(manifest, rewrapped.PurposeKey("run-manifest-fingerprint").ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("with space")]
    [InlineData("naïve")]
    public void A_purpose_is_a_short_ascii_label(string purpose) =>
        Assert.ThrowsAny<ArgumentException>(() => Keyring.Create().PurposeKey(purpose).ToArray());

    [Fact]
    public void Threads_asking_for_a_new_purpose_key_at_once_all_get_the_same_key()
    {
        var keyring = Keyring.Create();
        var keys = Enumerable.Range(0, 16).AsParallel().Select(_ => Convert.ToHexString(keyring.PurposeKey("token-signing"))).ToList();
        Assert.Single(keys.Distinct());
    }

    [Fact]
    public void ToString_and_exceptions_hold_no_key_material()
    {
        var keyring = Keyring.Create();
        keyring.PurposeKey("token-signing");
        keyring.Rotate();
        Assert.Equal("Keyring (active term 2, 2 term(s), 1 purpose key(s))", keyring.ToString());
        AssertNoKeyMaterial(keyring.ToString(), _master);
        AssertNoKeyMaterial(string.Join(" ", keyring.Terms), _master);

        var blob = keyring.Wrap(_master);
        blob[^1] ^= 0xFF;
        AssertNoKeyMaterial(Assert.Throws<KeyringCorruptException>(() => Keyring.Unwrap(blob, _master)).ToString(), _master);
        foreach (var term in keyring.Terms)
        {
            Assert.True(keyring.TryGetDataKey(term.Term, out var key));
            Assert.DoesNotContain(Convert.ToBase64String(key), keyring.ToString(), StringComparison.Ordinal);
        }
    }

    public void Dispose() => _master.Dispose();

    private static void AssertNoKeyMaterial(string text, params MasterKey[] keys)
    {
        foreach (var key in keys)
        {
            var base64 = key.ToBase64();
            Assert.DoesNotContain(base64, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Convert.ToHexString(Convert.FromBase64String(base64)), text, StringComparison.OrdinalIgnoreCase);
        }
    }

    private static bool Contains(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle) >= 0;
}
