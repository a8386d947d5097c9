using System.Collections.Concurrent;
using System.Text;
using Baton.Secrets.Crypto;

namespace Baton.Secrets.Tests.Crypto;

/// <summary>The security properties Vault and OpenBao prove of their barrier (<c>vault/barrier/aes_gcm_test.go</c>,
/// <c>barrier_test.go</c>), ported to <see cref="SecretCipher"/> and <see cref="Keyring"/>. Storage is abstract so
/// the same properties run against every store that keeps encrypted values: a subclass supplies five small hooks
/// and gets a fresh instance per test (xunit's rule), so its constructor may create an empty store.</summary>
public abstract class BarrierProperties : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    protected BarrierProperties()
    {
        Time = new ManualTimeProvider(Start);
        Master = MasterKey.Generate();
        Keyring = Keyring.Create(Time);
        Cipher = new SecretCipher(Keyring);
    }

    protected ManualTimeProvider Time { get; }

    protected MasterKey Master { get; }

    /// <summary>The keyring in use: replaced by <see cref="ReloadAsync"/>, like a seal and unseal.</summary>
    protected Keyring Keyring { get; private set; }

    protected SecretCipher Cipher { get; private set; }

    /// <summary>Stores <paramref name="blob"/> as the value of secret <paramref name="name"/> version
    /// <paramref name="version"/>, replacing what is there. The integrity and move properties use it to tamper
    /// with stored values the way someone with write access to the storage could.</summary>
    protected abstract Task PutAsync(string name, int version, byte[] blob);

    /// <summary>The stored value of one secret version, byte for byte; null when there is none.</summary>
    protected abstract Task<byte[]?> GetAsync(string name, int version);

    /// <summary>Every byte the store has put anywhere (database file and its journal or WAL, …), for the
    /// confidentiality scan. It must include the stored values: the scan checks it sees them.</summary>
    protected abstract Task<byte[]> ReadAllStoredBytesAsync();

    /// <summary>Stores the wrapped keyring, replacing the one stored before.</summary>
    protected abstract Task SaveKeyringAsync(byte[] wrappedKeyring);

    /// <summary>The wrapped keyring last stored.</summary>
    protected abstract Task<byte[]> LoadKeyringAsync();

    // --- TestAESGCMBarrier_Confidential ---

    [Fact]
    public async Task Stored_bytes_differ_from_the_plaintext_and_contain_neither_it_nor_its_encodings()
    {
        var plaintext = Canary();
        await SaveKeyringAsync(Keyring.Wrap(Master));

        var blob = await StoreAsync("db-password", 1, plaintext);
        await StoreAsync("db-password", 2, Canary());

        Assert.NotEqual(plaintext, blob);
        var stored = await ReadAllStoredBytesAsync();
        Assert.True(Contains(stored, blob), "the scanned bytes should include the stored value, or the scan proves nothing");
        Assert.False(Contains(stored, plaintext), "the plaintext is in the stored bytes");
        Assert.False(Contains(stored, Ascii(Convert.ToBase64String(plaintext))), "the plaintext's base64 is in the stored bytes");
        Assert.False(Contains(stored, Ascii(Convert.ToHexStringLower(plaintext))), "the plaintext's hex is in the stored bytes");
        Assert.False(Contains(stored, Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(plaintext))), "the plaintext's UTF-16 is in the stored bytes");
    }

    [Fact]
    public async Task Stored_bytes_contain_no_key_material()
    {
        var purposeKey = Keyring.PurposeKey("token-signing").ToArray();
        Keyring.Rotate();
        await SaveKeyringAsync(Keyring.Wrap(Master));
        await StoreAsync("api-token", 1, Canary());

        var stored = await ReadAllStoredBytesAsync();
        var masterBase64 = Master.ToBase64();
        Assert.False(Contains(stored, Convert.FromBase64String(masterBase64)), "the master key is in the stored bytes");
        Assert.False(Contains(stored, Ascii(masterBase64)), "the master key's base64 is in the stored bytes");
        Assert.False(Contains(stored, purposeKey), "a purpose key is in the stored bytes");
        foreach (var term in Keyring.Terms)
        {
            Assert.True(Keyring.TryGetDataKey(term.Term, out var dataKey));
            Assert.False(Contains(stored, dataKey), $"the data key of term {term.Term} is in the stored bytes");
        }
    }

    // --- TestAESGCMBarrier_Integrity ---

    [Fact]
    public async Task A_stored_value_with_any_single_byte_changed_does_not_decrypt()
    {
        var plaintext = Canary();
        await StoreAsync("db-password", 1, plaintext);
        var stored = (await GetAsync("db-password", 1))!;
        Assert.Equal(plaintext, Cipher.Decrypt("db-password", 1, stored));

        for (var i = 0; i < stored.Length; i++)
        {
            foreach (var flip in (byte[])[0x01, 0x80, 0xFF])
            {
                var tampered = (byte[])stored.Clone();
                tampered[i] ^= flip;
                Assert.Throws<SecretDecryptionException>(() => Cipher.Decrypt("db-password", 1, tampered));
            }
        }
    }

    [Fact]
    public async Task A_value_tampered_with_in_storage_does_not_decrypt()
    {
        await StoreAsync("db-password", 1, Canary());
        var stored = (await GetAsync("db-password", 1))!;
        stored[15]++; // inside the nonce, as Vault's test does; every other position is covered above
        stored[^1]++; // and the ciphertext
        await PutAsync("db-password", 1, stored);

        var reread = (await GetAsync("db-password", 1))!;
        var e = Assert.Throws<SecretDecryptionException>(() => Cipher.Decrypt("db-password", 1, reread));
        Assert.Contains("does not decrypt: tampered, or stored under another name or version", e.Message, StringComparison.Ordinal);
    }

    // --- TestAESGCMBarrier_MoveIntegrityV2 ---

    [Fact]
    public async Task A_value_moved_to_another_name_or_version_does_not_decrypt()
    {
        var plaintext = Canary();
        await StoreAsync("db-password", 2, plaintext);
        var stored = (await GetAsync("db-password", 2))!;

        await PutAsync("api-token", 2, stored);
        await PutAsync("db-password", 1, stored);
        await PutAsync("db-password", 3, stored);

        Assert.Equal(plaintext, await ReadAsync("db-password", 2));
        foreach (var (name, version) in ((string, int)[])[("api-token", 2), ("db-password", 1), ("db-password", 3)])
        {
            var moved = (await GetAsync(name, version))!;
            var e = Assert.Throws<SecretDecryptionException>(() => Cipher.Decrypt(name, version, moved));
            Assert.Contains("does not decrypt", e.Message, StringComparison.Ordinal);
            Assert.Equal(name, e.SecretName);
            Assert.Equal(version, e.Version);
        }
    }

    [Fact]
    public void Names_that_differ_only_where_name_and_version_meet_do_not_share_associated_data()
    {
        // "baton/secret/v1/a-1/2" could only collide if a version could hold a separator; it cannot.
        var blob = Cipher.Encrypt("a-1", 2, Canary());
        Assert.Throws<SecretDecryptionException>(() => Cipher.Decrypt("a", 12, blob));
        Assert.Throws<SecretDecryptionException>(() => Cipher.Decrypt("a-12", 0, blob));
    }

    // --- TestEncrypt_Unique ---

    [Fact]
    public void Equal_plaintexts_encrypt_to_different_ciphertexts_with_different_nonces()
    {
        var plaintext = Canary();
        var blobs = Enumerable.Range(0, 256).Select(_ => Cipher.Encrypt("db-password", 1, plaintext)).ToList();

        Assert.Equal(blobs.Count, blobs.Select(Convert.ToHexString).Distinct().Count());
        Assert.Equal(blobs.Count, blobs.Select(b => Convert.ToHexString(b, 5, 12)).Distinct().Count());
        Assert.All(blobs, b => Assert.Equal(plaintext, Cipher.Decrypt("db-password", 1, b)));
    }

    // --- TestDecrypt_InvalidCipherLength ---

    [Fact]
    public async Task Values_of_invalid_length_fail_to_decrypt_and_say_why()
    {
        await StoreAsync("db-password", 1, Canary());
        await StoreAsync("empty", 1, []);
        var stored = (await GetAsync("db-password", 1))!;
        var storedEmpty = (await GetAsync("empty", 1))!;
        Assert.Equal(1 + 4 + 12 + 16, storedEmpty.Length);
        Assert.Empty(await ReadAsync("empty", 1));

        foreach (var tooShort in (byte[][])[[], [1], stored[..3], stored[..5], stored[..(1 + 4 + 12)], storedEmpty[..^1]])
        {
            var e = Assert.Throws<SecretDecryptionException>(() => Cipher.Decrypt("db-password", 1, tooShort));
            Assert.Contains("too short to be a secret value", e.Message, StringComparison.Ordinal);
        }
        var truncated = Assert.Throws<SecretDecryptionException>(() => Cipher.Decrypt("db-password", 1, stored.AsSpan(..^1)));
        Assert.Contains("does not decrypt", truncated.Message, StringComparison.Ordinal);
        Assert.Throws<SecretDecryptionException>(() => Cipher.Decrypt("db-password", 1, [.. stored, 0]));
    }

    // --- TestAESGCMBarrier_ReloadKeyring ---

    [Fact]
    public async Task A_reloaded_keyring_decrypts_old_values_and_a_restored_older_keyring_rolls_back_the_active_term()
    {
        await SaveKeyringAsync(Keyring.Wrap(Master));
        var first = Canary();
        await StoreAsync("db-password", 1, first);
        var termOneKeyring = await LoadKeyringAsync();

        Keyring.Rotate();
        await SaveKeyringAsync(Keyring.Wrap(Master));
        await ReloadAsync(Master);
        Assert.Equal(2, Keyring.ActiveTerm);
        var second = Canary();
        await StoreAsync("db-password", 2, second);
        Assert.Equal(first, await ReadAsync("db-password", 1));
        Assert.Equal(second, await ReadAsync("db-password", 2));

        await SaveKeyringAsync(termOneKeyring);
        await ReloadAsync(Master);
        Assert.Equal(1, Keyring.ActiveTerm);
        Assert.Equal(first, await ReadAsync("db-password", 1));
        // What a lost keyring save costs: values under the newer term are gone. Hence KeyringChanged comes first.
        var e = await Assert.ThrowsAsync<SecretDecryptionException>(() => ReadAsync("db-password", 2));
        Assert.Contains("unknown key term 2", e.Message, StringComparison.Ordinal);
    }

    // --- testBarrier_Rotate ---

    [Fact]
    public async Task After_a_data_key_rotation_old_values_decrypt_and_new_values_carry_the_new_term()
    {
        await SaveKeyringAsync(Keyring.Wrap(Master));
        var term1 = Assert.Single(Keyring.Terms);
        Assert.Equal(1, term1.Term);
        Assert.Equal(Start, term1.Created);
        var first = Canary();
        await StoreAsync("db-password", 1, first);

        Time.Advance(TimeSpan.FromMinutes(5));
        var rotated = Keyring.Rotate();
        Assert.Equal(2, rotated.Term);
        Assert.Equal(2, Keyring.ActiveTerm);
        Assert.True(rotated.Created > term1.Created);
        var second = Canary();
        await StoreAsync("api-token", 1, second);

        Assert.Equal(1, SecretCipher.TermOf((await GetAsync("db-password", 1))!));
        Assert.Equal(2, SecretCipher.TermOf((await GetAsync("api-token", 1))!));
        Assert.Equal(first, await ReadAsync("db-password", 1));
        Assert.Equal(second, await ReadAsync("api-token", 1));
        Assert.Equal([1, 2], Keyring.Terms.Select(t => t.Term));

        // Seal and unseal.
        await SaveKeyringAsync(Keyring.Wrap(Master));
        var before = Keyring.Terms;
        await ReloadAsync(Master);
        Assert.Equal(before, Keyring.Terms);
        Assert.Equal(first, await ReadAsync("db-password", 1));
        Assert.Equal(second, await ReadAsync("api-token", 1));
    }

    // --- testBarrier_RotateRootKey ---

    [Fact]
    public async Task After_a_master_key_rotation_the_new_key_unwraps_every_old_value_decrypts_unchanged_and_the_old_key_is_refused()
    {
        await SaveKeyringAsync(Keyring.Wrap(Master));
        var plaintext = Canary();
        await StoreAsync("db-password", 1, plaintext);
        var storedBefore = (await GetAsync("db-password", 1))!;

        using var newMaster = MasterKey.Generate();
        await SaveKeyringAsync(Keyring.Wrap(newMaster));
        var wrapped = await LoadKeyringAsync();
        Assert.Equal(newMaster.Fingerprint, Keyring.WrappedBy(wrapped));

        await ReloadAsync(newMaster);
        Assert.Equal(plaintext, await ReadAsync("db-password", 1));
        Assert.Equal(storedBefore, await GetAsync("db-password", 1));

        var e = Assert.Throws<WrongMasterKeyException>(() => Keyring.Unwrap(wrapped, Master));
        Assert.Equal(newMaster.Fingerprint, e.ExpectedFingerprint);
        Assert.Equal(Master.Fingerprint, e.GivenFingerprint);
        Assert.Contains(newMaster.Fingerprint, e.Message, StringComparison.Ordinal);
        Assert.Contains(Master.Fingerprint, e.Message, StringComparison.Ordinal);

        // Reloading still works, and so does a data-key rotation under the new master key.
        Keyring.Rotate();
        await SaveKeyringAsync(Keyring.Wrap(newMaster));
        await ReloadAsync(newMaster);
        Assert.Equal(plaintext, await ReadAsync("db-password", 1));
    }

    // --- automatic rotation (sys/rotate/config max_operations) ---

    [Fact]
    public async Task Reaching_the_encryption_limit_rotates_before_encrypting_and_asks_for_the_keyring_to_be_saved()
    {
        Keyring.RotateAfterEncryptions = 3;
        await SaveKeyringAsync(Keyring.Wrap(Master));
        byte[]? savedByHandler = null;
        var changes = 0;
        Cipher.KeyringChanged += () =>
        {
            changes++;
            // The handler runs before any value is encrypted under the new term.
            Assert.Equal(0, Keyring.Terms[^1].Encryptions);
            savedByHandler = Keyring.Wrap(Master);
        };

        var values = Enumerable.Range(1, 4).Select(_ => Canary()).ToList();
        for (var v = 1; v <= 3; v++)
        {
            await StoreAsync("db-password", v, values[v - 1]);
        }
        Assert.Equal(0, changes);
        Assert.Equal(1, Keyring.ActiveTerm);

        await StoreAsync("db-password", 4, values[3]);
        Assert.Equal(1, changes);
        Assert.Equal(2, Keyring.ActiveTerm);
        Assert.Equal(2, SecretCipher.TermOf((await GetAsync("db-password", 4))!));
        Assert.Equal([(1, 3L), (2, 1L)], Keyring.Terms.Select(t => (t.Term, t.Encryptions)));

        await SaveKeyringAsync(savedByHandler!);
        await ReloadAsync(Master);
        Assert.Equal(3, Keyring.RotateAfterEncryptions);
        Assert.Equal(3, Keyring.Terms[0].Encryptions);
        for (var v = 1; v <= 4; v++)
        {
            Assert.Equal(values[v - 1], await ReadAsync("db-password", v));
        }
    }

    // --- concurrency ---

    [Fact]
    public async Task Encrypt_and_decrypt_from_many_threads_stay_correct_while_the_keyring_rotates()
    {
        const int Workers = 4;
        const int PerWorker = 150;
        const int ManualRotations = 10;
        Keyring.RotateAfterEncryptions = 25;
        var oldValue = Canary();
        var oldBlob = Cipher.Encrypt("old", 1, oldValue);
        var automaticRotations = 0;
        Cipher.KeyringChanged += () => Interlocked.Increment(ref automaticRotations);
        var written = new ConcurrentBag<(string Name, int Version, byte[] Plaintext, byte[] Blob)>();

        using var start = new Barrier(Workers + 1);
        // Dedicated threads: pool threads blocked on the start barrier would wait for the pool to grow.
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (var i = 1; i <= PerWorker; i++)
            {
                var plaintext = Canary();
                var blob = Cipher.Encrypt($"secret-{w}", i, plaintext);
                Assert.Equal(plaintext, Cipher.Decrypt($"secret-{w}", i, blob));
                Assert.Equal(oldValue, Cipher.Decrypt("old", 1, oldBlob));
                written.Add(($"secret-{w}", i, plaintext, blob));
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
        var rotator = Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < ManualRotations; i++)
            {
                Keyring.Rotate();
                Thread.Yield();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Task.WhenAll([.. workers, rotator]);

        var terms = Keyring.Terms;
        Assert.Equal(Workers * PerWorker + 1, terms.Sum(t => t.Encryptions));
        Assert.All(terms, t => Assert.InRange(t.Encryptions, 0, 25));
        Assert.Equal(terms.Count - 1 - ManualRotations, automaticRotations);
        Assert.True(automaticRotations > 0, "the limit should have been reached while the threads ran");
        Assert.Equal(Enumerable.Range(1, terms.Count), terms.Select(t => t.Term));

        await SaveKeyringAsync(Keyring.Wrap(Master));
        foreach (var (name, version, _, blob) in written)
        {
            await PutAsync(name, version, blob);
        }
        await ReloadAsync(Master);
        foreach (var (name, version, plaintext, _) in written)
        {
            Assert.Equal(plaintext, await ReadAsync(name, version));
        }
    }

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Master.Dispose();
        }
    }

    /// <summary>Encrypts and stores one secret version; returns the stored blob.</summary>
    protected async Task<byte[]> StoreAsync(string name, int version, byte[] plaintext)
    {
        var blob = Cipher.Encrypt(name, version, plaintext);
        await PutAsync(name, version, blob);
        return blob;
    }

    /// <summary>Reads and decrypts one stored secret version.</summary>
    protected async Task<byte[]> ReadAsync(string name, int version)
    {
        var blob = await GetAsync(name, version) ?? throw new InvalidOperationException($"nothing stored for {name} v{version}");
        return Cipher.Decrypt(name, version, blob);
    }

    /// <summary>Seal and unseal: forget the keyring in memory and unwrap the stored one.</summary>
    protected async Task ReloadAsync(MasterKey master)
    {
        Keyring = Keyring.Unwrap(await LoadKeyringAsync(), master, Time);
        Cipher = new SecretCipher(Keyring);
    }

    /// <summary>A distinctive value that occurs nowhere by chance.</summary>
    protected static byte[] Canary() => Ascii("canary-" + Guid.NewGuid().ToString("N"));

    protected static bool Contains(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle) >= 0;

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);
}
