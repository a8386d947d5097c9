using System.Security.Cryptography;
using Baton.Secrets.Store;

namespace Baton.Storage.Compliance;

public abstract partial class StorageComplianceSuite
{
    private static SecretWrite Version(string name, int version, byte[]? ciphertext = null, int? expected = null, long? at = null,
        string? description = null, string? principal = "alice", int keep = 10, string kind = "string") => new()
        {
            Name = name,
            Version = version,
            Kind = kind,
            Ciphertext = ciphertext ?? Ciphertext(32),
            Description = description,
            Principal = principal,
            At = at ?? Samples.T0 + version,
            ExpectedVersion = expected,
            KeepVersions = keep,
        };

    private static byte[] Ciphertext(int length) => RandomNumberGenerator.GetBytes(length);

    private async Task<string> SecretStateAsync(string name) =>
        Snapshot.Of(new { record = await Secrets.GetAsync(name), versions = await Secrets.ListVersionsAsync(name) });

    /// <summary>
    /// Whether any 32-byte piece of <paramref name="ciphertext"/> is at rest: a long value is split across pages,
    /// so a store may never hold it in one piece.
    /// </summary>
    private async Task<bool> AnyPieceAtRestAsync(byte[] ciphertext)
    {
        for (var offset = 0; offset + 32 <= ciphertext.Length; offset += 1000)
        {
            if (await StorageAtRestContainsAsync(ciphertext[offset..(offset + 32)])) return true;
        }
        return false;
    }

    [Fact]
    public async Task The_keyring_is_null_until_created_then_replaced_only_by_a_save_that_expects_what_is_stored()
    {
        Assert.Null(await Secrets.LoadKeyringAsync());
        Assert.False(await Secrets.SaveKeyringAsync([1, 2, 3], expected: []), "a save replaces; it does not create");
        Assert.Null(await Secrets.LoadKeyringAsync());

        Assert.True(await Secrets.CreateKeyringAsync([1, 2, 3]));
        Assert.True(await Secrets.SaveKeyringAsync([9, 8], expected: [1, 2, 3]));
        Assert.Equal([9, 8], await Secrets.LoadKeyringAsync());

        // A node that read [1, 2, 3] and changed it meanwhile must not overwrite [9, 8]; nor may a prefix of it match.
        Assert.False(await Secrets.SaveKeyringAsync([5, 5], expected: [1, 2, 3]));
        Assert.False(await Secrets.SaveKeyringAsync([5, 5], expected: [9]));
        Assert.Equal([9, 8], await Secrets.LoadKeyringAsync());
    }

    [Fact]
    public async Task Of_several_saves_expecting_the_same_keyring_exactly_one_lands()
    {
        Assert.True(await Secrets.CreateKeyringAsync([0]));

        var saved = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Task.Run(() => Secrets.SaveKeyringAsync([(byte)i, 1], expected: [0]))));

        var winner = Assert.Single(Enumerable.Range(1, 8), i => saved[i - 1]);
        Assert.Equal([(byte)winner, 1], await Secrets.LoadKeyringAsync());
    }

    [Fact]
    public async Task The_first_keyring_is_created_once_when_several_nodes_start_together()
    {
        var created = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Task.Run(() => Secrets.CreateKeyringAsync([(byte)i, 0]))));

        var stored = await Secrets.LoadKeyringAsync();
        var winner = Assert.Single(Enumerable.Range(1, 8), i => created[i - 1]);
        Assert.Equal([(byte)winner, 0], stored);
        Assert.False(await Secrets.CreateKeyringAsync([7, 7]));
        Assert.Equal([(byte)winner, 0], await Secrets.LoadKeyringAsync());
    }

    [Fact]
    public async Task A_first_version_reads_back_with_its_metadata_and_ciphertext()
    {
        var ciphertext = Ciphertext(48);

        Assert.Equal(SecretWriteOutcome.Written,
            await Secrets.WriteVersionAsync(Version("db_password", 1, ciphertext, expected: 0, at: Samples.T0, description: "The DB ✓", kind: "json")));

        Assert.Equal(Snapshot.Of(new SecretRecord
        {
            Name = "db_password",
            Description = "The DB ✓",
            CurrentVersion = 1,
            CreatedBy = "alice",
            CreatedAt = Samples.T0,
            UpdatedBy = "alice",
            UpdatedAt = Samples.T0,
        }), Snapshot.Of(await Secrets.GetAsync("db_password")));
        Assert.Equal(Snapshot.Of(new SecretVersionRecord
        {
            Name = "db_password",
            Version = 1,
            Kind = "json",
            Ciphertext = ciphertext,
            CreatedBy = "alice",
            CreatedAt = Samples.T0,
        }), Snapshot.Of(await Secrets.GetVersionAsync("db_password", 1)));
    }

    [Fact]
    public async Task An_unknown_secret_or_version_reads_as_null_or_empty()
    {
        await Secrets.WriteVersionAsync(Version("known", 1));

        Assert.Null(await Secrets.GetAsync("unknown"));
        Assert.Null(await Secrets.GetVersionAsync("unknown", 1));
        Assert.Null(await Secrets.GetVersionAsync("known", 2));
        Assert.Empty(await Secrets.ListVersionsAsync("unknown"));
    }

    [Fact]
    public async Task A_write_with_the_current_version_expected_becomes_current_and_keeps_creation_and_description()
    {
        await Secrets.WriteVersionAsync(Version("api_key", 1, expected: 0, at: Samples.T0, description: "first", principal: "alice"));
        var second = Ciphertext(40);

        Assert.Equal(SecretWriteOutcome.Written,
            await Secrets.WriteVersionAsync(Version("api_key", 2, second, expected: 1, at: Samples.T0 + 50, principal: "bob")));

        var record = await Secrets.GetAsync("api_key");
        Assert.Equal(2, record!.CurrentVersion);
        Assert.Equal("first", record.Description);
        Assert.Equal(("alice", Samples.T0), (record.CreatedBy, record.CreatedAt));
        Assert.Equal(("bob", Samples.T0 + 50), (record.UpdatedBy, record.UpdatedAt));
        Assert.Equal(second, (await Secrets.GetVersionAsync("api_key", 2))!.Ciphertext);
        Assert.NotNull((await Secrets.GetVersionAsync("api_key", 1))!.Ciphertext);
    }

    [Fact]
    public async Task A_write_with_a_description_replaces_it()
    {
        await Secrets.WriteVersionAsync(Version("api_key", 1, description: "old"));

        await Secrets.WriteVersionAsync(Version("api_key", 2, description: "new"));

        Assert.Equal("new", (await Secrets.GetAsync("api_key"))!.Description);
    }

    [Fact]
    public async Task An_unconditional_write_needs_no_expected_version()
    {
        Assert.Equal(SecretWriteOutcome.Written, await Secrets.WriteVersionAsync(Version("token", 1)));
        Assert.Equal(SecretWriteOutcome.Written, await Secrets.WriteVersionAsync(Version("token", 2)));

        Assert.Equal(2, (await Secrets.GetAsync("token"))!.CurrentVersion);
    }

    [Fact]
    public async Task A_write_expecting_a_stale_version_is_a_conflict_and_changes_nothing()
    {
        await Secrets.WriteVersionAsync(Version("token", 1, description: "d"));
        await Secrets.WriteVersionAsync(Version("token", 2));
        var before = await SecretStateAsync("token");

        Assert.Equal(SecretWriteOutcome.VersionConflict,
            await Secrets.WriteVersionAsync(Version("token", 3, expected: 1, description: "changed", keep: 1)));

        Assert.Equal(before, await SecretStateAsync("token"));
    }

    [Fact]
    public async Task A_write_expecting_absence_is_a_conflict_when_the_secret_exists_and_changes_nothing()
    {
        await Secrets.WriteVersionAsync(Version("token", 1));
        var before = await SecretStateAsync("token");

        Assert.Equal(SecretWriteOutcome.VersionConflict, await Secrets.WriteVersionAsync(Version("token", 2, expected: 0, keep: 1)));

        Assert.Equal(before, await SecretStateAsync("token"));
    }

    [Fact]
    public async Task A_write_expecting_absence_succeeds_once_every_version_was_destroyed()
    {
        await Secrets.WriteVersionAsync(Version("token", 1));
        await Secrets.DestroyVersionAsync("token", 1, Samples.T0 + 10);

        Assert.Equal(SecretWriteOutcome.VersionConflict, await Secrets.WriteVersionAsync(Version("token", 2, expected: 1)));
        Assert.Equal(SecretWriteOutcome.Written, await Secrets.WriteVersionAsync(Version("token", 2, expected: 0)));
        Assert.Equal(2, (await Secrets.GetAsync("token"))!.CurrentVersion);
    }

    [Fact]
    public async Task A_write_expecting_a_version_of_an_unknown_secret_is_a_conflict_and_creates_nothing()
    {
        Assert.Equal(SecretWriteOutcome.VersionConflict, await Secrets.WriteVersionAsync(Version("ghost", 2, expected: 1)));

        Assert.Null(await Secrets.GetAsync("ghost"));
        Assert.Empty(await Secrets.ListVersionsAsync("ghost"));
    }

    [Fact]
    public async Task Writing_a_version_number_that_exists_is_a_conflict_not_an_error_and_changes_nothing()
    {
        await Secrets.WriteVersionAsync(Version("token", 1));
        await Secrets.WriteVersionAsync(Version("token", 2));
        var before = await SecretStateAsync("token");

        Assert.Equal(SecretWriteOutcome.VersionConflict, await Secrets.WriteVersionAsync(Version("token", 2, keep: 1)));
        Assert.Equal(SecretWriteOutcome.VersionConflict, await Secrets.WriteVersionAsync(Version("token", 1, expected: 2)));

        Assert.Equal(before, await SecretStateAsync("token"));
    }

    [Fact]
    public async Task A_soft_deleted_secret_counts_as_absent_and_a_write_revives_it()
    {
        await Secrets.WriteVersionAsync(Version("token", 1));
        await Secrets.MarkDeletedAsync("token", "carol", Samples.T0 + 10);

        Assert.Equal(SecretWriteOutcome.VersionConflict, await Secrets.WriteVersionAsync(Version("token", 2, expected: 1)));
        Assert.Equal(SecretWriteOutcome.Written, await Secrets.WriteVersionAsync(Version("token", 2, expected: 0)));

        var record = await Secrets.GetAsync("token");
        Assert.Equal(2, record!.CurrentVersion);
        Assert.Null(record.DeletedAt);
        Assert.Null(record.DeletedBy);
        Assert.Equal("token", Assert.Single(await Secrets.ListAsync(includeDeleted: false)).Name);
    }

    [Fact]
    public async Task An_unconditional_write_revives_a_soft_deleted_secret()
    {
        await Secrets.WriteVersionAsync(Version("token", 1));
        await Secrets.MarkDeletedAsync("token", "carol", Samples.T0 + 10);

        Assert.Equal(SecretWriteOutcome.Written, await Secrets.WriteVersionAsync(Version("token", 2)));

        Assert.Null((await Secrets.GetAsync("token"))!.DeletedAt);
    }

    [Fact]
    public async Task Versions_beyond_the_kept_number_are_destroyed_by_the_write_but_keep_their_rows()
    {
        for (var v = 1; v <= 5; v++) await Secrets.WriteVersionAsync(Version("token", v, keep: 3, at: Samples.T0 + v));

        var versions = await Secrets.ListVersionsAsync("token");
        Assert.Equal([5, 4, 3, 2, 1], versions.Select(v => v.Version));
        Assert.All(versions.Take(3), v => Assert.NotNull(v.Ciphertext));
        Assert.All(versions.Take(3), v => Assert.Null(v.DestroyedAt));
        Assert.Equal([Samples.T0 + 5, Samples.T0 + 4], versions.Skip(3).Select(v => v.DestroyedAt));
        Assert.All(versions.Skip(3), v => Assert.Null(v.Ciphertext));
        Assert.Equal(5, (await Secrets.GetAsync("token"))!.CurrentVersion);
        Assert.Equal([5, 4, 3], (await Secrets.ListLiveVersionsAsync()).Select(v => v.Version));
    }

    [Fact]
    public async Task A_write_can_narrow_the_kept_number_to_one()
    {
        for (var v = 1; v <= 3; v++) await Secrets.WriteVersionAsync(Version("token", v));

        await Secrets.WriteVersionAsync(Version("token", 4, keep: 1));

        Assert.Equal([4], (await Secrets.ListLiveVersionsAsync()).Select(v => v.Version));
    }

    [Fact]
    public async Task Kept_versions_count_live_ones_so_an_explicitly_destroyed_version_does_not_use_up_the_allowance()
    {
        for (var v = 1; v <= 3; v++) await Secrets.WriteVersionAsync(Version("token", v, keep: 3));
        await Secrets.DestroyVersionAsync("token", 3, Samples.T0 + 100);

        await Secrets.WriteVersionAsync(Version("token", 4, keep: 3));

        Assert.Equal([4, 2, 1], (await Secrets.ListLiveVersionsAsync()).Select(v => v.Version));
    }

    [Fact]
    public async Task A_version_beyond_the_kept_number_is_erased_from_storage_at_rest()
    {
        var small = Ciphertext(48);
        var large = Ciphertext(20_000);
        await Secrets.WriteVersionAsync(Version("small", 1, small));
        await Secrets.WriteVersionAsync(Version("large", 1, large));
        await ReopenStoresAsync();
        Assert.True(await AnyPieceAtRestAsync(small), "The scan must see a live ciphertext, or it proves nothing.");
        Assert.True(await AnyPieceAtRestAsync(large), "The scan must see a live ciphertext, or it proves nothing.");
        var kept = Ciphertext(48);

        await Secrets.WriteVersionAsync(Version("small", 2, kept, keep: 1));
        await Secrets.WriteVersionAsync(Version("large", 2, keep: 1));
        await ReopenStoresAsync();

        Assert.False(await AnyPieceAtRestAsync(small));
        Assert.False(await AnyPieceAtRestAsync(large));
        Assert.True(await AnyPieceAtRestAsync(kept));
    }

    [Fact]
    public async Task A_destroyed_version_is_erased_from_storage_at_rest()
    {
        var doomed = Ciphertext(48);
        await Secrets.WriteVersionAsync(Version("token", 1, doomed));
        await Secrets.WriteVersionAsync(Version("token", 2));
        await ReopenStoresAsync();
        Assert.True(await AnyPieceAtRestAsync(doomed), "The scan must see a live ciphertext, or it proves nothing.");

        await Secrets.DestroyVersionAsync("token", 1, Samples.T0 + 100);
        await ReopenStoresAsync();

        Assert.False(await AnyPieceAtRestAsync(doomed));
    }

    [Fact]
    public async Task A_purged_secret_is_erased_from_storage_at_rest()
    {
        var doomed = Ciphertext(48);
        await Secrets.WriteVersionAsync(Version("token", 1, doomed));
        await Secrets.MarkDeletedAsync("token", "carol", Samples.T0 + 10);
        await ReopenStoresAsync();
        Assert.True(await AnyPieceAtRestAsync(doomed), "The scan must see a live ciphertext, or it proves nothing.");

        await Secrets.PurgeDeletedAsync(Samples.T0 + 11);
        await ReopenStoresAsync();

        Assert.False(await AnyPieceAtRestAsync(doomed));
    }

    /// <summary>
    /// While the server runs, not only after a restart: erasing must not leave the old bytes in a write-ahead log or in
    /// a database page until some later checkpoint.
    /// </summary>
    [Fact]
    public async Task Erasing_takes_effect_at_rest_at_once_without_a_restart()
    {
        var (destroyed, trimmed, purged, keyring) = (Ciphertext(48), Ciphertext(48), Ciphertext(48), Ciphertext(48));
        await Secrets.WriteVersionAsync(Version("destroyed", 1, destroyed));
        await Secrets.WriteVersionAsync(Version("trimmed", 1, trimmed));
        await Secrets.WriteVersionAsync(Version("purged", 1, purged));
        await Secrets.MarkDeletedAsync("purged", "carol", Samples.T0 + 10);
        await Secrets.CreateKeyringAsync(keyring);
        await ReopenStoresAsync();
        foreach (var piece in new[] { destroyed, trimmed, purged, keyring })
        {
            Assert.True(await AnyPieceAtRestAsync(piece), "The scan must see each live ciphertext, or it proves nothing.");
        }

        await Secrets.DestroyVersionAsync("destroyed", 1, Samples.T0 + 100);
        await Secrets.WriteVersionAsync(Version("trimmed", 2, keep: 1));
        await Secrets.PurgeDeletedAsync(Samples.T0 + 11);
        Assert.True(await Secrets.SaveKeyringAsync(Ciphertext(48), expected: keyring));

        Assert.False(await AnyPieceAtRestAsync(destroyed), "a destroyed version");
        Assert.False(await AnyPieceAtRestAsync(trimmed), "a version beyond the kept number");
        Assert.False(await AnyPieceAtRestAsync(purged), "a purged secret");
        Assert.False(await AnyPieceAtRestAsync(keyring), "a replaced keyring");
    }

    [Fact]
    public async Task Destroying_a_version_that_is_not_current_erases_it_and_leaves_the_current_one()
    {
        for (var v = 1; v <= 3; v++) await Secrets.WriteVersionAsync(Version("token", v));

        Assert.True(await Secrets.DestroyVersionAsync("token", 2, Samples.T0 + 100));

        var destroyed = await Secrets.GetVersionAsync("token", 2);
        Assert.Null(destroyed!.Ciphertext);
        Assert.Equal(Samples.T0 + 100, destroyed.DestroyedAt);
        Assert.Equal(3, (await Secrets.GetAsync("token"))!.CurrentVersion);
        Assert.Equal([3, 1], (await Secrets.ListLiveVersionsAsync()).Select(v => v.Version));
    }

    [Fact]
    public async Task Destroying_the_current_version_makes_the_newest_live_one_current_then_zero()
    {
        for (var v = 1; v <= 3; v++) await Secrets.WriteVersionAsync(Version("token", v));
        await Secrets.DestroyVersionAsync("token", 2, Samples.T0 + 100);

        Assert.True(await Secrets.DestroyVersionAsync("token", 3, Samples.T0 + 101));
        Assert.Equal(1, (await Secrets.GetAsync("token"))!.CurrentVersion);
        Assert.True(await Secrets.DestroyVersionAsync("token", 1, Samples.T0 + 102));

        Assert.Equal(0, (await Secrets.GetAsync("token"))!.CurrentVersion);
        Assert.Equal(3, (await Secrets.ListVersionsAsync("token")).Count);
        Assert.Empty(await Secrets.ListLiveVersionsAsync());
    }

    [Fact]
    public async Task Destroying_an_unknown_or_already_destroyed_version_returns_false()
    {
        await Secrets.WriteVersionAsync(Version("token", 1));
        await Secrets.WriteVersionAsync(Version("token", 2));
        Assert.True(await Secrets.DestroyVersionAsync("token", 1, Samples.T0 + 100));

        Assert.False(await Secrets.DestroyVersionAsync("token", 1, Samples.T0 + 200));
        Assert.False(await Secrets.DestroyVersionAsync("token", 7, Samples.T0 + 200));
        Assert.False(await Secrets.DestroyVersionAsync("ghost", 1, Samples.T0 + 200));
        Assert.Equal(Samples.T0 + 100, (await Secrets.GetVersionAsync("token", 1))!.DestroyedAt);
    }

    [Fact]
    public async Task Secrets_are_listed_by_name_and_soft_deleted_ones_only_when_asked()
    {
        foreach (var name in new[] { "charlie", "alpha", "bravo" }) await Secrets.WriteVersionAsync(Version(name, 1));
        await Secrets.MarkDeletedAsync("bravo", "carol", Samples.T0 + 10);

        Assert.Equal(["alpha", "charlie"], (await Secrets.ListAsync(includeDeleted: false)).Select(s => s.Name));
        Assert.Equal(["alpha", "bravo", "charlie"], (await Secrets.ListAsync(includeDeleted: true)).Select(s => s.Name));
    }

    [Fact]
    public async Task Soft_delete_marks_the_secret_once_and_keeps_it_readable_with_its_live_versions()
    {
        await Secrets.WriteVersionAsync(Version("token", 1));

        Assert.True(await Secrets.MarkDeletedAsync("token", "carol", Samples.T0 + 10));
        Assert.False(await Secrets.MarkDeletedAsync("token", "dave", Samples.T0 + 20));
        Assert.False(await Secrets.MarkDeletedAsync("ghost", "dave", Samples.T0 + 20));

        var record = await Secrets.GetAsync("token");
        Assert.Equal((Samples.T0 + 10, "carol"), (record!.DeletedAt, record.DeletedBy));
        Assert.Equal("token", Assert.Single(await Secrets.ListLiveVersionsAsync()).Name);
    }

    [Fact]
    public async Task Restore_clears_a_soft_delete_once()
    {
        await Secrets.WriteVersionAsync(Version("token", 1));
        await Secrets.MarkDeletedAsync("token", "carol", Samples.T0 + 10);

        Assert.True(await Secrets.RestoreAsync("token"));
        Assert.False(await Secrets.RestoreAsync("token"));
        Assert.False(await Secrets.RestoreAsync("ghost"));

        var record = await Secrets.GetAsync("token");
        Assert.Null(record!.DeletedAt);
        Assert.Null(record.DeletedBy);
        Assert.Equal(1, record.CurrentVersion);
    }

    [Fact]
    public async Task Purge_removes_only_secrets_deleted_before_the_cutoff_with_their_versions_and_tags()
    {
        foreach (var name in new[] { "old", "older", "recent", "live" })
        {
            await Secrets.WriteVersionAsync(Version(name, 1));
            await Secrets.SetTagsAsync(name, [new SecretTag("team", "ops")]);
        }
        await Secrets.MarkDeletedAsync("older", "carol", Samples.T0 + 5);
        await Secrets.MarkDeletedAsync("old", "carol", Samples.T0 + 10);
        await Secrets.MarkDeletedAsync("recent", "carol", Samples.T0 + 20);

        Assert.Equal(["old", "older"], (await Secrets.PurgeDeletedAsync(Samples.T0 + 20)).Order(StringComparer.Ordinal));

        Assert.Null(await Secrets.GetAsync("old"));
        Assert.Empty(await Secrets.ListVersionsAsync("old"));
        Assert.Equal(["live", "recent"], (await Secrets.ListAsync(includeDeleted: true)).Select(s => s.Name));
        Assert.Equal(["live", "recent"], (await Secrets.ListLiveVersionsAsync()).Select(v => v.Name));
        Assert.Empty(await Secrets.PurgeDeletedAsync(Samples.T0 + 20));

        Assert.Equal(SecretWriteOutcome.Written, await Secrets.WriteVersionAsync(Version("old", 1, expected: 0)));
        Assert.Empty((await Secrets.GetAsync("old"))!.Tags);
    }

    [Fact]
    public async Task Tags_are_added_or_replaced_by_key_and_removed_by_key_and_value()
    {
        await Secrets.WriteVersionAsync(Version("token", 1));
        await Secrets.WriteVersionAsync(Version("other", 1));

        await Secrets.SetTagsAsync("token", [new SecretTag("team", "ops"), new SecretTag("env", "prod")]);
        await Secrets.SetTagsAsync("token", [new SecretTag("team", "payments"), new SecretTag("tier", "1")]);
        await Secrets.SetTagsAsync("other", [new SecretTag("team", "ops")]);
        Assert.Equal([new SecretTag("env", "prod"), new SecretTag("team", "payments"), new SecretTag("tier", "1")], (await Secrets.GetAsync("token"))!.Tags);

        await Secrets.RemoveTagsAsync("token", [new SecretTag("team", "payments"), new SecretTag("env", "staging")]);

        Assert.Equal([new SecretTag("env", "prod"), new SecretTag("tier", "1")], (await Secrets.GetAsync("token"))!.Tags);
        Assert.Equal([new SecretTag("team", "ops")], (await Secrets.GetAsync("other"))!.Tags);
        var listed = await Secrets.ListAsync(includeDeleted: false);
        Assert.Equal([new SecretTag("team", "ops")], listed.Single(s => s.Name == "other").Tags);
        Assert.Equal(2, listed.Single(s => s.Name == "token").Tags.Count);
    }

    [Fact]
    public async Task Tagging_an_unknown_secret_creates_nothing()
    {
        await Secrets.SetTagsAsync("ghost", [new SecretTag("team", "ops")]);
        await Secrets.WriteVersionAsync(Version("ghost", 1));

        Assert.Empty((await Secrets.GetAsync("ghost"))!.Tags);
    }

    [Fact]
    public async Task A_description_changes_without_a_new_version_and_only_on_a_live_secret()
    {
        await Secrets.WriteVersionAsync(Version("token", 1, description: "first"));
        await Secrets.WriteVersionAsync(Version("gone", 1));
        await Secrets.MarkDeletedAsync("gone", "carol", Samples.T0 + 10);

        Assert.True(await Secrets.SetDescriptionAsync("token", "rotated monthly", "dave", Samples.T0 + 20));
        var record = (await Secrets.GetAsync("token"))!;
        Assert.Equal("rotated monthly", record.Description);
        Assert.Equal(1, record.CurrentVersion);
        Assert.Equal("dave", record.UpdatedBy);
        Assert.Equal(Samples.T0 + 20, record.UpdatedAt);
        Assert.Single(await Secrets.ListVersionsAsync("token"));

        Assert.True(await Secrets.SetDescriptionAsync("token", null, "dave", Samples.T0 + 30));
        Assert.Null((await Secrets.GetAsync("token"))!.Description);
        Assert.False(await Secrets.SetDescriptionAsync("gone", "x", "dave", Samples.T0 + 40));
        Assert.False(await Secrets.SetDescriptionAsync("ghost", "x", "dave", Samples.T0 + 40));
    }

    [Fact]
    public async Task Last_used_is_unset_until_touched_and_never_moves_back()
    {
        await Secrets.WriteVersionAsync(Version("token", 1));
        Assert.Null((await Secrets.GetAsync("token"))!.LastUsedAt);

        await Secrets.TouchLastUsedAsync("token", Samples.T0 + 50);
        await Secrets.TouchLastUsedAsync("token", Samples.T0 + 40);
        await Secrets.TouchLastUsedAsync("ghost", Samples.T0 + 40);

        Assert.Equal(Samples.T0 + 50, (await Secrets.GetAsync("token"))!.LastUsedAt);
        Assert.Null(await Secrets.GetAsync("ghost"));
    }

    [Fact]
    public async Task Every_acknowledged_secret_write_is_still_there_after_the_store_is_reopened()
    {
        await Secrets.CreateKeyringAsync([7, 7, 7]);
        for (var v = 1; v <= 3; v++) await Secrets.WriteVersionAsync(Version("token", v, keep: 2, description: "d"));
        await Secrets.DestroyVersionAsync("token", 3, Samples.T0 + 100);
        await Secrets.SetTagsAsync("token", [new SecretTag("team", "ops")]);
        await Secrets.TouchLastUsedAsync("token", Samples.T0 + 60);
        await Secrets.WriteVersionAsync(Version("gone", 1));
        await Secrets.MarkDeletedAsync("gone", "carol", Samples.T0 + 70);
        var before = (await SecretStateAsync("token"), await SecretStateAsync("gone"));

        await ReopenStoresAsync();

        Assert.Equal([7, 7, 7], await Secrets.LoadKeyringAsync());
        Assert.Equal(before, (await SecretStateAsync("token"), await SecretStateAsync("gone")));
    }

    [Fact]
    public async Task Of_a_hundred_concurrent_writes_expecting_the_same_version_exactly_one_wins()
    {
        await Secrets.WriteVersionAsync(Version("token", 1, expected: 0));
        var attempts = Enumerable.Range(0, 100).Select(_ => Ciphertext(32)).ToList();

        var outcomes = await Task.WhenAll(attempts.Select(c => Task.Run(() => Secrets.WriteVersionAsync(Version("token", 2, c, expected: 1)))));

        Assert.Single(outcomes, o => o == SecretWriteOutcome.Written);
        var winner = attempts[Array.IndexOf(outcomes, SecretWriteOutcome.Written)];
        Assert.Equal(2, (await Secrets.GetAsync("token"))!.CurrentVersion);
        Assert.Equal(winner, (await Secrets.GetVersionAsync("token", 2))!.Ciphertext);
        Assert.Equal(2, (await Secrets.ListVersionsAsync("token")).Count);
    }

    [Fact]
    public async Task Of_a_hundred_concurrent_creations_of_one_secret_exactly_one_wins()
    {
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            Task.Run(() => Secrets.WriteVersionAsync(Version("token", 1, expected: 0, principal: $"p{i}")))));

        Assert.Single(outcomes, o => o == SecretWriteOutcome.Written);
        Assert.Single(await Secrets.ListVersionsAsync("token"));
    }
}
