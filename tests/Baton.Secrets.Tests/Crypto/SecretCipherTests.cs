using System.Buffers.Binary;
using System.Text;
using Baton.Secrets.Crypto;

namespace Baton.Secrets.Tests.Crypto;

public sealed class SecretCipherTests
{
    private static readonly byte[] Value = "hunter2-correct-horse-battery"u8.ToArray();

    private readonly Keyring _keyring = Keyring.Create();
    private readonly SecretCipher _cipher;

    public SecretCipherTests() => _cipher = new SecretCipher(_keyring);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65_536)]
    public void Values_of_any_size_round_trip(int size)
    {
        var plaintext = new byte[size];
        Random.Shared.NextBytes(plaintext);
        Assert.Equal(plaintext, _cipher.Decrypt("db-password", 1, _cipher.Encrypt("db-password", 1, plaintext)));
    }

    [Fact]
    public void A_blob_is_format_term_nonce_tag_and_ciphertext()
    {
        _keyring.Rotate();
        var blob = _cipher.Encrypt("db-password", 3, Value);

        Assert.Equal(1 + 4 + 12 + 16 + Value.Length, blob.Length);
        Assert.Equal(1, blob[0]);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(1)));
        Assert.Equal(2, SecretCipher.TermOf(blob));
    }

    [Fact]
    public void The_associated_data_is_the_documented_name_and_version_string()
    {
        var blob = _cipher.Encrypt("db-password", 3, Value);
        Assert.True(_keyring.TryGetDataKey(1, out var key));
        using var aes = new System.Security.Cryptography.AesGcm(key, 16);
        var plaintext = new byte[Value.Length];
        aes.Decrypt(blob.AsSpan(5, 12), blob.AsSpan(33), blob.AsSpan(17, 16), plaintext, "baton/secret/v1/db-password/3"u8);
        Assert.Equal(Value, plaintext);
    }

    [Fact]
    public void A_blob_under_a_term_the_keyring_lacks_says_which_term()
    {
        var blob = _cipher.Encrypt("db-password", 1, Value);
        BinaryPrimitives.WriteUInt32BigEndian(blob.AsSpan(1), 7);

        var e = Assert.Throws<SecretDecryptionException>(() => _cipher.Decrypt("db-password", 1, blob));
        Assert.Equal("Secret 'db-password' version 1 uses unknown key term 7.", e.Message);
        Assert.Equal(7, SecretCipher.TermOf(blob));
    }

    [Fact]
    public void A_blob_of_another_format_says_which_format()
    {
        var blob = _cipher.Encrypt("db-password", 1, Value);
        blob[0] = 9;

        Assert.Contains("unknown format 9", Assert.Throws<SecretDecryptionException>(() => _cipher.Decrypt("db-password", 1, blob)).Message, StringComparison.Ordinal);
        Assert.Equal("The stored secret value has unknown format 9.", Assert.Throws<SecretDecryptionException>(() => SecretCipher.TermOf(blob)).Message);
    }

    [Fact]
    public void TermOf_refuses_what_is_too_short_to_hold_a_term()
    {
        Assert.Contains("too short", Assert.Throws<SecretDecryptionException>(() => SecretCipher.TermOf([])).Message, StringComparison.Ordinal);
        Assert.Contains("too short", Assert.Throws<SecretDecryptionException>(() => SecretCipher.TermOf([1, 0, 0, 0])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_from_another_keyring_does_not_decrypt()
    {
        var blob = new SecretCipher(Keyring.Create()).Encrypt("db-password", 1, Value);
        var e = Assert.Throws<SecretDecryptionException>(() => _cipher.Decrypt("db-password", 1, blob));
        Assert.Equal("Secret 'db-password' version 1 does not decrypt: tampered, or stored under another name or version.", e.Message);
    }

    [Fact]
    public void Decryption_failures_never_show_the_value_or_the_stored_bytes()
    {
        var blob = _cipher.Encrypt("db-password", 1, Value);
        var e = Assert.Throws<SecretDecryptionException>(() => _cipher.Decrypt("api-token", 1, blob));
        var text = e.ToString();
        foreach (var form in new[] { Encoding.UTF8.GetString(Value), Convert.ToBase64String(Value), Convert.ToHexString(Value), Convert.ToBase64String(blob), Convert.ToHexString(blob) })
        {
            Assert.DoesNotContain(form, text, StringComparison.OrdinalIgnoreCase);
        }
        Assert.True(_keyring.TryGetDataKey(1, out var key));
        Assert.DoesNotContain(Convert.ToHexString(key), text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToBase64String(key), text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_secret_needs_a_name_and_a_version_of_zero_or_more()
    {
        Assert.ThrowsAny<ArgumentException>(() => _cipher.Encrypt("", 1, Value));
        Assert.Throws<ArgumentOutOfRangeException>(() => _cipher.Encrypt("db-password", -1, Value));
        Assert.ThrowsAny<ArgumentException>(() => _cipher.Encrypt("bad\ud800name", 1, Value));
        Assert.Equal(0, _keyring.Terms[0].Encryptions);
    }

    [Fact]
    public void When_saving_the_rotated_keyring_fails_nothing_is_encrypted_under_the_new_term_and_the_next_call_asks_again()
    {
        _keyring.RotateAfterEncryptions = 1;
        _cipher.Encrypt("db-password", 1, Value);
        var calls = 0;
        _cipher.KeyringChanged += () =>
        {
            if (++calls == 1)
            {
                throw new IOException("disk full");
            }
        };

        Assert.Throws<IOException>(() => _cipher.Encrypt("db-password", 2, Value));
        Assert.Equal(2, _keyring.ActiveTerm);
        Assert.Equal(0, _keyring.Terms[^1].Encryptions);

        var blob = _cipher.Encrypt("db-password", 2, Value);
        Assert.Equal(2, calls);
        Assert.Equal(2, SecretCipher.TermOf(blob));
        Assert.Equal(2, _keyring.Terms.Count);
    }

    [Fact]
    public void Automatic_rotation_works_without_any_handler()
    {
        _keyring.RotateAfterEncryptions = 2;
        var terms = Enumerable.Range(1, 5).Select(v => SecretCipher.TermOf(_cipher.Encrypt("db-password", v, Value))).ToList();
        Assert.Equal([1, 1, 2, 2, 3], terms);
    }

    [Fact]
    public void The_keyring_is_also_due_for_saving_every_65536_encryptions_so_counts_survive_a_restart()
    {
        var changes = 0;
        _cipher.KeyringChanged += () => changes++;
        for (var i = 0; i < 65_535; i++)
        {
            _cipher.Encrypt("db-password", 1, Value);
        }
        Assert.Equal(0, changes);
        _cipher.Encrypt("db-password", 1, Value);
        Assert.Equal(1, changes);
        Assert.Equal(65_536, _keyring.Terms[0].Encryptions);
        Assert.Equal(1, _keyring.ActiveTerm);
    }
}
