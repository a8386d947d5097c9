using System.Collections.Concurrent;
using System.Text;
using Baton.Secrets.Audit;
using Baton.Secrets.Crypto;
using Baton.Secrets.Redaction;
using Baton.Secrets.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Baton.Secrets.Service;

/// <summary>
/// The secrets service: every way a secret is written, read back, resolved, deleted or tagged goes through here,
/// and each one is audited. Values are encrypted before they reach the repository. The vault keeps the live
/// plaintexts in memory for the one redactor, which it rebuilds after every change.
/// </summary>
public sealed class SecretVault(
    ISecretRepository repository,
    IAuditLog audit,
    IRunManifestStore manifest,
    SecretRedactor redactor,
    ISecretUsePolicy usePolicy,
    IOptions<SecretsOptions> options,
    ILogger<SecretVault> logger) : IDisposable
{
    private readonly SecretsOptions _options = options.Value;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Dictionary<(string Name, int Version), SecretValue> _live = [];
    private readonly Dictionary<string, List<string>> _derived = new(StringComparer.Ordinal);
    private readonly Lock _liveGate = new();
    private Keyring? _keyring;
    private SecretCipher? _cipher;
    /// <summary>The wrapped keyring as this node last read or wrote it: what a save expects to replace (see <see cref="ChangeKeyringAsync"/>).</summary>
    private byte[]? _storedKeyring;
    private MasterKey? _master;
    private string? _masterSource;

    public SecretsOptions Options => _options;

    private SecretCipher Cipher => _cipher ?? throw new InvalidOperationException("The secret vault has not been initialized");

    private Keyring Ring => _keyring ?? throw new InvalidOperationException("The secret vault has not been initialized");

    /// <summary>The master key's fingerprint (safe to show).</summary>
    public string MasterKeyFingerprint => _master?.Fingerprint ?? "";

    // ---- start ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Loads (or on first start creates) the master key and the keyring, then every live value for the redactor.
    /// A keyring wrapped by another master key stops the start with a message naming the expected fingerprint.
    /// </summary>
    public async Task InitializeAsync(string dataDir, CancellationToken ct)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("BATON_MASTER_KEY");
        MasterKeyLoad load;
        try
        {
            load = !string.IsNullOrEmpty(fromEnvironment)
                ? MasterKeySource.Load(fromEnvironment, "BATON_MASTER_KEY", null, dataDir)
                : MasterKeySource.Load(_options.MasterKey, "setting Baton:Secrets:MasterKey", _options.MasterKeyFile, dataDir);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new SecretsStartupException($"the master key cannot be loaded: {e.Message}", e);
        }
        _master = load.Key;
        _masterSource = load.Source;
        if (load.Created)
        {
            logger.LogWarning("Generated a new master key ({Fingerprint}) at {Source}; back it up apart from the data: without it no secret can be read",
                load.Key.Fingerprint, load.Source);
        }

        var wrapped = await repository.LoadKeyringAsync(ct);
        if (wrapped is null)
        {
            // Written only if still absent: of several nodes starting on an empty database one creates it, the others
            // read the winner's. Its purpose keys go in with it, so a node reading it at once finds the same ones.
            var created = Keyring.Create();
            AddPurposeKeys(created);
            var createdBytes = created.Wrap(_master);
            if (await repository.CreateKeyringAsync(createdBytes, ct))
            {
                Install(created, createdBytes);
                await AppendAsync(new AuditEvent { Action = "keyring-created", Outcome = "ok", Detail = $"master key {_master.Fingerprint}" }, ct);
            }
            else
            {
                wrapped = await repository.LoadKeyringAsync(ct) ?? throw new SecretsStartupException("the secrets keyring was created by another node but cannot be read back");
            }
        }
        if (wrapped is not null)
        {
            try
            {
                Install(Keyring.Unwrap(wrapped, _master), wrapped);
            }
            catch (WrongMasterKeyException)
            {
                throw new SecretsStartupException(
                    $"The secrets keyring was sealed with master key {Keyring.WrappedBy(wrapped)}, but the master key from {load.Source} is {_master.Fingerprint}. " +
                    "Start with the master key that sealed it (BATON_MASTER_KEY, Baton:Secrets:MasterKey or Baton:Secrets:MasterKeyFile).");
            }
            catch (KeyringCorruptException e)
            {
                throw new SecretsStartupException($"the secrets keyring does not open with master key {_master.Fingerprint}: {e.Message}", e);
            }
        }
        // A keyring made before its purpose keys were made with it gets them now, stored, so fingerprints and tokens
        // stay the same on every node and after every restart.
        if (!Ring.HasPurposeKey(SecretFingerprint.Purpose) || !Ring.HasPurposeKey(TokenSigningPurpose))
        {
            await ChangeKeyringAsync(AddPurposeKeys, _master, ct);
        }
        logger.LogInformation("Secrets: master key {Fingerprint} from {Source}, data key term {Term}", _master.Fingerprint, _masterSource, Ring.ActiveTerm);

        foreach (var record in await repository.ListAsync(includeDeleted: false, ct))
        {
            if (record.CurrentVersion > 0) _catalog.Current[record.Name] = record.CurrentVersion;
            KeepTags(record.Name, record);
        }
        foreach (var version in await repository.ListLiveVersionsAsync(ct))
        {
            try
            {
                var plaintext = Cipher.Decrypt(version.Name, version.Version, version.Ciphertext!);
                lock (_liveGate) _live[(version.Name, version.Version)] = SecretValue.FromStored(version.Kind, plaintext);
            }
            catch (SecretDecryptionException e)
            {
                logger.LogError("Secret {Secret} version {Version} does not decrypt: {Reason}", version.Name, version.Version, e.Message);
                await AppendAsync(new AuditEvent { Action = "load", Outcome = "failed", Secret = version.Name, Version = version.Version, Detail = e.Message }, ct);
            }
        }
        RebuildRedactor();
    }

    private volatile bool _keyringDirty;

    // ---- reload (several nodes on one store) -----------------------------------------------------------------

    /// <summary>
    /// Reads again what the vault keeps in memory and another node sharing the store may have changed: the keyring (a
    /// data key rotated there), each secret's current version and tags, and the live values, which the redactor then
    /// masks; a value no longer live (destroyed, purged) leaves the redactor, as after that change made here. A
    /// soft-deleted secret's values stay masked, as here. Values already in memory are not decrypted again. Runs under
    /// the write gate, so no write through this vault interleaves with it; a hand-off reads either the model before or
    /// the one after.
    /// </summary>
    public async Task ReloadAsync(CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            await ReloadKeyringAsync(ct);
            await ReloadCatalogAsync(ct);
            var known = new Dictionary<(string Name, int Version), SecretValue>();
            lock (_liveGate)
            {
                foreach (var (key, value) in _live) known[key] = value;
            }
            var live = new Dictionary<(string Name, int Version), SecretValue>();
            foreach (var version in await repository.ListLiveVersionsAsync(ct))
            {
                var key = (version.Name, version.Version);
                if (known.TryGetValue(key, out var value))
                {
                    live[key] = value;
                    continue;
                }
                try
                {
                    live[key] = SecretValue.FromStored(version.Kind, Cipher.Decrypt(version.Name, version.Version, version.Ciphertext!));
                }
                catch (SecretDecryptionException e)
                {
                    logger.LogError("Secret {Secret} version {Version} does not decrypt: {Reason}", version.Name, version.Version, e.Message);
                }
            }
            lock (_liveGate)
            {
                _live.Clear();
                foreach (var (key, value) in live) _live[key] = value;
            }
            RebuildRedactor();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>The keys for other purposes every keyring holds from its creation: fingerprints and token signatures.</summary>
    private static void AddPurposeKeys(Keyring ring)
    {
        _ = ring.PurposeKey(SecretFingerprint.Purpose);
        _ = ring.PurposeKey(TokenSigningPurpose);
    }

    /// <summary>Takes the stored keyring when another node changed it (a data key rotated there).</summary>
    private async Task ReloadKeyringAsync(CancellationToken ct)
    {
        if (await repository.LoadKeyringAsync(ct) is not { } wrapped || wrapped.AsSpan().SequenceEqual(_storedKeyring)) return;
        if (TakeStoredKeyring(wrapped)) logger.LogInformation("Secrets: the keyring changed on another node; data key term {Term}", Ring.ActiveTerm);
    }

    /// <summary>
    /// Makes <paramref name="wrapped"/>, just read from the store, the keyring this node works with and expects to
    /// replace. It must open with this node's master key (after a master-key rotation on another node it does not, and
    /// this node keeps the keyring it has, reading every value it read before, until it restarts with the new key),
    /// and it must hold every data key term this node holds (one this node made and has not stored yet is kept rather
    /// than lost). When it holds the same terms this node keeps its own ring, whose encryption counts may be newer.
    /// </summary>
    /// <returns>False when the stored keyring was not taken, for one of those two reasons (logged).</returns>
    private bool TakeStoredKeyring(byte[] wrapped)
    {
        Keyring stored;
        try
        {
            stored = Keyring.Unwrap(wrapped, _master!);
        }
        catch (Exception e) when (e is WrongMasterKeyException or KeyringCorruptException)
        {
            logger.LogError("The stored keyring does not open with this node's master key {Fingerprint} ({Reason}); this node keeps its keyring. " +
                "Restart it with the master key that sealed the keyring ({Expected})", _master!.Fingerprint, e.GetType().Name, Keyring.WrappedBy(wrapped));
            return false;
        }
        var ours = Ring.Terms.Select(t => (t.Term, t.Created)).ToHashSet();
        var theirs = stored.Terms.Select(t => (t.Term, t.Created)).ToHashSet();
        if (!ours.IsSubsetOf(theirs))
        {
            logger.LogWarning("The stored keyring changed while this node holds a data key term it has not stored; it keeps its own");
            return false;
        }
        Install(ours.SetEquals(theirs) ? Ring : stored, wrapped);
        return true;
    }

    /// <summary>Makes <paramref name="ring"/> the one this node encrypts and decrypts with, as stored in <paramref name="wrapped"/>.</summary>
    private void Install(Keyring ring, byte[] wrapped)
    {
        _storedKeyring = wrapped;
        if (ReferenceEquals(ring, _keyring)) return;
        var cipher = new SecretCipher(ring);
        cipher.KeyringChanged += () => _keyringDirty = true;
        _cipher = cipher;
        _keyring = ring;
    }

    /// <summary>
    /// Stores a change to the keyring without overwriting another node's: <paramref name="change"/> is made on a copy
    /// of the ring in use, wrapped with <paramref name="wrapWith"/>, written only if the store still holds what this
    /// node last read or wrote, and put to use once written. When another node changed the keyring in between, this
    /// node takes theirs and makes its change again on it; so two nodes rotating at once add two terms, not one each.
    /// </summary>
    /// <exception cref="KeyringChangedElsewhereException">The stored keyring cannot be taken (another master key sealed it).</exception>
    private async Task<Keyring> ChangeKeyringAsync(Action<Keyring> change, MasterKey wrapWith, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var next = Keyring.Unwrap(Ring.Wrap(_master!), _master!);
            change(next);
            var wrapped = next.Wrap(wrapWith);
            if (await repository.SaveKeyringAsync(wrapped, _storedKeyring!, ct))
            {
                Install(next, wrapped);
                return next;
            }
            var stored = await repository.LoadKeyringAsync(ct);
            if (attempt == 5 || stored is null || !TakeStoredKeyring(stored))
            {
                throw new KeyringChangedElsewhereException(stored is null
                    ? "The secrets keyring is no longer stored; restore the database from a backup."
                    : $"The secrets keyring was changed on another node and this node cannot take it (it is sealed with master key {Keyring.WrappedBy(stored)}; " +
                      $"this node has {_master!.Fingerprint}). Restart this node with the master key that sealed it, then try again.");
            }
        }
    }

    /// <summary>Builds the catalog from the store and swaps it in; reads again when a change through here came in between.</summary>
    private async Task ReloadCatalogAsync(CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            long seen;
            lock (_catalogGate) seen = _catalogChanges;
            var records = await repository.ListAsync(includeDeleted: false, ct);
            var old = _catalog;
            var next = SecretCatalog.Empty();
            foreach (var record in records)
            {
                if (record.CurrentVersion > 0) next.Current[record.Name] = record.CurrentVersion;
                // An unchanged list stays the same object, so the use check's remembered answers still hold.
                next.Tags[record.Name] = old.Tags.TryGetValue(record.Name, out var kept) && kept.SequenceEqual(record.Tags) ? kept : [.. record.Tags];
            }
            lock (_catalogGate)
            {
                if (_catalogChanges == seen || attempt >= 3)
                {
                    _catalog = next;
                    _catalogChanges++;
                    return;
                }
            }
        }
    }

    /// <summary>A new version of a secret was stored (its name and version; never its value): Baton's SECRET_ROTATED event.</summary>
    public event Action<string, int>? VersionStored;

    /// <summary>
    /// Something the vault keeps in memory changed through this vault (a version, a delete or restore, a destroyed
    /// version, tags, a purge, the keyring): other nodes sharing the store reload (<see cref="ReloadAsync"/>). Says
    /// nothing of what changed; handlers must not block.
    /// </summary>
    public event Action? Changed;

    private void RaiseChanged()
    {
        try
        {
            Changed?.Invoke();
        }
        catch (Exception e)
        {
            logger.LogError(e, "A handler of the vault's Changed event failed");
        }
    }

    // ---- writing --------------------------------------------------------------------------------------------

    /// <summary>Stores a new version. <paramref name="expectedVersion"/>: check-and-set (0: must not exist yet).</summary>
    public async Task<int> PutAsync(string name, SecretValue value, string? description, int? expectedVersion, string? principal, CancellationToken ct)
    {
        CheckName(name);
        CheckValue(value);
        await _writeGate.WaitAsync(ct);
        try
        {
            var existing = await repository.GetAsync(name, ct);
            await CheckWriteAsync(name, existing, principal, ct);
            var current = existing is { DeletedAt: null } ? existing.CurrentVersion : 0;
            var latest = existing is null ? 0 : (await repository.ListVersionsAsync(name, ct)).Select(v => v.Version).DefaultIfEmpty(0).Max();
            if (expectedVersion is { } expected && expected != current)
            {
                await AppendAsync(new AuditEvent { Action = existing is null ? "create" : "update", Outcome = "conflict", Secret = name, Principal = principal, Detail = $"expected version {expected}, current is {current}" }, ct);
                throw new SecretVersionConflictException($"Secret '{name}' is at version {current}, not {expected}; read it again and retry");
            }
            var version = latest + 1;
            var ciphertext = Cipher.Encrypt(name, version, value.ToBytes());
            await PersistKeyringIfChangedAsync(ct);
            var outcome = await repository.WriteVersionAsync(new SecretWrite
            {
                Name = name,
                Version = version,
                Kind = value.Kind,
                Ciphertext = ciphertext,
                Description = description,
                Principal = principal,
                At = Now(),
                ExpectedVersion = expectedVersion ?? current,
                KeepVersions = Math.Max(1, _options.KeepVersions),
            }, ct);
            if (outcome == SecretWriteOutcome.VersionConflict)
            {
                throw new SecretVersionConflictException($"Secret '{name}' changed while it was being written; read it again and retry");
            }
            lock (_liveGate) _live[(name, version)] = value;
            await RefreshCurrentAsync(name, ct);
            await ForgetDestroyedAsync(name, ct);
            RebuildRedactor();
            await AppendAsync(new AuditEvent { Action = existing is null || existing.DeletedAt is not null ? "create" : "update", Outcome = "ok", Secret = name, Version = version, Principal = principal }, ct);
            // Whoever creates a name owns it (a write to a deleted name was only let through for its owners).
            if (existing is null) await usePolicy.SecretCreatedAsync(principal!, name, ct);
            RaiseChanged();
            VersionStored?.Invoke(name, version);
            return version;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// The one rights check of every write, whoever asks (the API, an UPDATE_SECRET task acting as its run's principal):
    /// UPDATE on a name that is taken, CREATE on a new one. A deleted secret's name stays taken until it is purged,
    /// so only those who had rights on it may write it again (a squatter would otherwise become its creator and
    /// reach the versions it still keeps).
    /// </summary>
    private async Task CheckWriteAsync(string name, SecretRecord? existing, string? principal, CancellationToken ct)
    {
        if (usePolicy.WriteRefusal(principal, name, existing is not null, existing?.Tags ?? []) is not { } refusal) return;
        await AppendAsync(new AuditEvent { Action = existing is null ? "create" : "update", Outcome = "denied", Secret = name, Principal = principal, Detail = refusal }, ct);
        if (existing?.DeletedAt is { } deletedAt)
        {
            var purge = DateTimeOffset.FromUnixTimeMilliseconds(deletedAt + (long)_options.RecoveryWindow.TotalMilliseconds).UtcDateTime;
            throw new SecretNameReservedException(
                $"Secret '{name}' was deleted, and its name stays with those who had rights on it until it is purged (after {purge:yyyy-MM-dd HH:mm} UTC); " +
                $"its owners may restore it (POST /api/secrets/{name}/restore); choose another name");
        }
        throw new SecretAccessDeniedException(refusal);
    }

    /// <summary>
    /// Makes an earlier version's value current again, as a new version (check-and-set against the current one): the
    /// value is decrypted and encrypted again inside the vault and never leaves it. Needs what any write needs
    /// (UPDATE); audited as the write plus a <c>restore-version</c> event naming both versions.
    /// </summary>
    public async Task<int> RestoreVersionAsync(string name, int version, string? principal, CancellationToken ct)
    {
        var record = await repository.GetAsync(name, ct);
        if (record is not { DeletedAt: null }) throw new SecretNotFoundException($"No secret named '{name}'");
        await CheckWriteAsync(name, record, principal, ct);
        if (version == record.CurrentVersion) throw new SecretRequestException("version", $"version {version} of '{name}' is already the current one");
        SecretValue value;
        try
        {
            value = await DecryptAsync(name, version, ct);
        }
        catch (SecretResolutionException e)
        {
            throw new SecretRequestException("version", e.Message);
        }
        var written = await PutAsync(name, value, null, record.CurrentVersion, principal, ct);
        await AppendAsync(new AuditEvent { Action = "restore-version", Outcome = "ok", Secret = name, Version = written, Principal = principal, Detail = $"the value of version {version} is current again as version {written}" }, ct);
        return written;
    }

    /// <summary>The deliberate read-back of a value through the API; audited.</summary>
    public async Task<SecretValue> ReadBackAsync(string name, string? principal, CancellationToken ct)
    {
        var record = await LiveRecordAsync(name, principal, "read", ct);
        var value = await DecryptAsync(name, record.CurrentVersion, ct);
        await AppendAsync(new AuditEvent { Action = "read", Outcome = "ok", Secret = name, Version = record.CurrentVersion, Principal = principal }, ct);
        return value;
    }

    public async Task DeleteAsync(string name, string? principal, CancellationToken ct)
    {
        await LiveRecordAsync(name, principal, "delete", ct);
        await repository.MarkDeletedAsync(name, principal, Now(), ct);
        await RefreshCurrentAsync(name, ct);
        RaiseChanged();
        await AppendAsync(new AuditEvent { Action = "delete", Outcome = "ok", Secret = name, Principal = principal, Detail = $"restorable for {_options.RecoveryWindow.TotalDays:0.#} days" }, ct);
    }

    public async Task RestoreAsync(string name, string? principal, CancellationToken ct)
    {
        var record = await repository.GetAsync(name, ct);
        if (record?.DeletedAt is null || !await repository.RestoreAsync(name, ct))
        {
            await AppendAsync(new AuditEvent { Action = "restore", Outcome = "not-found", Secret = name, Principal = principal }, ct);
            throw new SecretNotFoundException($"No deleted secret named '{name}' to restore");
        }
        await RefreshCurrentAsync(name, ct);
        RaiseChanged();
        await AppendAsync(new AuditEvent { Action = "restore", Outcome = "ok", Secret = name, Principal = principal }, ct);
    }

    /// <summary>Erases one version's ciphertext for good.</summary>
    public async Task DestroyVersionAsync(string name, int version, string? principal, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            if (!await repository.DestroyVersionAsync(name, version, Now(), ct))
            {
                await AppendAsync(new AuditEvent { Action = "destroy", Outcome = "not-found", Secret = name, Version = version, Principal = principal }, ct);
                throw new SecretNotFoundException($"Secret '{name}' has no live version {version}");
            }
            lock (_liveGate) _live.Remove((name, version));
            await RefreshCurrentAsync(name, ct);
            RebuildRedactor();
            RaiseChanged();
            await AppendAsync(new AuditEvent { Action = "destroy", Outcome = "ok", Secret = name, Version = version, Principal = principal }, ct);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async Task SetTagsAsync(string name, IReadOnlyList<SecretTag> tags, string? principal, CancellationToken ct)
    {
        CheckTags(tags);
        await LiveRecordAsync(name, principal, "tags", ct);
        await repository.SetTagsAsync(name, tags, ct);
        await RefreshTagsAsync(name, ct);
        RaiseChanged();
        await AppendAsync(new AuditEvent { Action = "tags", Outcome = "ok", Secret = name, Principal = principal, Detail = "set " + string.Join(", ", tags.Select(t => $"{t.Key}:{t.Value}")) }, ct);
    }

    public async Task RemoveTagsAsync(string name, IReadOnlyList<SecretTag> tags, string? principal, CancellationToken ct)
    {
        CheckTags(tags);
        await LiveRecordAsync(name, principal, "tags", ct);
        await repository.RemoveTagsAsync(name, tags, ct);
        await RefreshTagsAsync(name, ct);
        RaiseChanged();
        await AppendAsync(new AuditEvent { Action = "tags", Outcome = "ok", Secret = name, Principal = principal, Detail = "removed " + string.Join(", ", tags.Select(t => $"{t.Key}:{t.Value}")) }, ct);
    }

    /// <summary>Changes a secret's description without a new version (Port's PATCH with only a description); audited.</summary>
    public async Task SetDescriptionAsync(string name, string? description, string? principal, CancellationToken ct)
    {
        await LiveRecordAsync(name, principal, "describe", ct);
        if (!await repository.SetDescriptionAsync(name, description, principal, Now(), ct)) throw NotFound(name);
        await AppendAsync(new AuditEvent { Action = "describe", Outcome = "ok", Secret = name, Principal = principal, Detail = description is null ? "description cleared" : "description changed" }, ct);
    }

    // ---- reading metadata -----------------------------------------------------------------------------------

    public async Task<SecretRecord> GetRecordAsync(string name, CancellationToken ct) =>
        await repository.GetAsync(name, ct) is { DeletedAt: null } record ? record : throw NotFound(name);

    public async Task<bool> ExistsAsync(string name, CancellationToken ct) => await repository.GetAsync(name, ct) is { DeletedAt: null };

    public Task<IReadOnlyList<SecretRecord>> ListAsync(bool includeDeleted, CancellationToken ct) => repository.ListAsync(includeDeleted, ct);

    public async Task<IReadOnlyList<SecretVersionRecord>> VersionsAsync(string name, CancellationToken ct)
    {
        if (await repository.GetAsync(name, ct) is null) throw NotFound(name);
        return [.. (await repository.ListVersionsAsync(name, ct)).Select(v => v with { Ciphertext = null })];
    }

    public Task<IReadOnlyList<AuditEvent>> QueryAuditAsync(AuditQuery query, CancellationToken ct) => audit.QueryAsync(query, ct);

    public Task<IReadOnlyList<ManifestEntry>> ManifestAsync(string workflowId, CancellationToken ct) => manifest.GetAsync(workflowId, ct);

    public async Task ClearManifestAsync(string workflowId, CancellationToken ct)
    {
        _pins.TryRemove(workflowId, out _);
        await manifest.ClearAsync(workflowId, Now(), ct);
    }

    // ---- resolution at hand-off -----------------------------------------------------------------------------

    /// <summary>
    /// The one place values leave the vault for a task. Uses the version the run already used (retries see the
    /// same value), writes the audit events and the manifest entries, and only then returns the values. The
    /// secrets of one hand-off are resolved together, so their records share one group commit.
    /// </summary>
    /// <exception cref="SecretResolutionException">Missing, deleted, undecryptable, or the audit could not be written.</exception>
    public async Task<IReadOnlyDictionary<string, SecretValue>> ResolveAsync(IReadOnlyCollection<string> names, ResolutionContext context, CancellationToken ct)
    {
        var prepared = await PrepareAllAsync(names, context, auditFailures: true, ct);
        try
        {
            // One audit event for the whole hand-off, which is also the run's manifest: the values are returned only
            // once it is durable.
            await audit.AppendResolutionsAsync([prepared.Resolution], ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Could not record the use of secrets by task {TaskId}; the values are withheld", context.TaskId);
            throw new SecretResolutionException($"secret '{prepared.Resolution.Secrets[0].Name}' was withheld: its use could not be recorded in the audit log");
        }
        Recorded(prepared);
        var values = new Dictionary<string, SecretValue>(prepared.Values.Length, StringComparer.Ordinal);
        for (var i = 0; i < prepared.Values.Length; i++) values.Add(prepared.Resolution.Secrets[i].Name, prepared.Values[i]);
        return values;
    }

    /// <summary>
    /// What a hand-off will get (<paramref name="Values"/>, in the order of the resolution's secrets), and the
    /// resolution (audit event and manifest in one) that must be durable first.
    /// </summary>
    private sealed record PreparedUse(SecretResolution Resolution, SecretValue[] Values, ConcurrentDictionary<string, int> Pins);

    /// <param name="auditFailures">
    /// False when preparing ahead: a secret that cannot be given makes the hand-off go the full way, which audits the
    /// failure, so auditing it here too would record one refusal twice.
    /// </param>
    private async Task<PreparedUse> PrepareAllAsync(IReadOnlyCollection<string> names, ResolutionContext context, bool auditFailures, CancellationToken ct)
    {
        Task AuditFailureAsync(string name, int? version, string outcome, string detail) =>
            auditFailures ? TryAuditFailureAsync(name, version, context, outcome, detail, ct) : Task.CompletedTask;

        var pins = await PinsAsync(context.WorkflowId, ct);
        var catalog = _catalog; // one model for the whole hand-off, even while a reload swaps in the next
        var secrets = new List<ResolvedSecret>(names.Count);
        var values = new List<SecretValue>(names.Count);
        foreach (var name in names)
        {
            if (CurrentVersion(catalog, name) is not { } current)
            {
                await AuditFailureAsync(name, null, "not-found", "no such secret");
                throw new SecretResolutionException($"secret '{name}' does not exist");
            }

            // The one permission check of a hand-off, before anything of the value is touched.
            if (usePolicy.UseRefusal(context, name, TagsOf(catalog, name)) is { } refusal)
            {
                await AuditFailureAsync(name, null, "denied", refusal);
                throw new SecretResolutionException(refusal);
            }

            var version = pins.TryGetValue(name, out var pinned) ? pinned : current;
            SecretValue value;
            try
            {
                value = await DecryptAsync(name, version, ct);
            }
            catch (SecretResolutionException e)
            {
                await AuditFailureAsync(name, version, "failed", e.Message);
                throw;
            }
            secrets.Add(Resolved(name, version, value));
            values.Add(value);
        }
        return new PreparedUse(ResolutionOf(context, secrets), [.. values], pins);
    }

    /// <summary>
    /// <see cref="PrepareAllAsync"/> when all it needs is in memory and every secret may be given: the run's pins (a
    /// run started in this process, or whose manifest an earlier hand-off read back), each secret's current version
    /// and tags, and the live value of the version it gets. The same checks give the same resolution, without a task
    /// or an await; null sends the caller the full way, which reads what is missing and refuses with the reason.
    /// </summary>
    private PreparedUse? PrepareFromMemory(IReadOnlyList<string> names, ResolutionContext context)
    {
        if (!_pins.TryGetValue(context.WorkflowId, out var pins)) return null;
        var catalog = _catalog;
        var secrets = new ResolvedSecret[names.Count];
        var values = new SecretValue[names.Count];
        for (var i = 0; i < names.Count; i++)
        {
            var name = names[i];
            if (CurrentVersion(catalog, name) is not { } current || usePolicy.UseRefusal(context, name, TagsOf(catalog, name)) is not null) return null;
            var version = pins.TryGetValue(name, out var pinned) ? pinned : current;
            if (RecordedValue(name, version) is not { } value) return null;
            secrets[i] = Resolved(name, version, value);
            values[i] = value;
        }
        return new PreparedUse(ResolutionOf(context, secrets), values, pins);
    }

    private static SecretResolution ResolutionOf(ResolutionContext context, IReadOnlyList<ResolvedSecret> secrets) =>
        new(Now(), context.Principal, context.WorkflowId, context.TaskId, context.TaskReferenceName, secrets);

    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<SecretValue, ResolvedSecret> _resolved = new();

    /// <summary>
    /// What a resolution records of a version (name, version, the manifest fingerprint), made once per value held in
    /// memory: a version's value never changes, so neither does its fingerprint (an HMAC), and the same object lets the
    /// store reuse its encoding.
    /// </summary>
    private ResolvedSecret Resolved(string name, int version, SecretValue value)
    {
        if (_resolved.TryGetValue(value, out var known) && known.Name == name && known.Version == version) return known;
        var made = new ResolvedSecret(name, version, SecretFingerprint.Of(Ring, value.ToBytes()));
        _resolved.AddOrUpdate(value, made);
        return made;
    }

    /// <summary>The use is durable: remember the pins, and stamp last-used (for people, not for the audit).</summary>
    private void Recorded(PreparedUse prepared)
    {
        var resolution = prepared.Resolution;
        for (var i = 0; i < resolution.Secrets.Count; i++)
        {
            var (name, version, _) = resolution.Secrets[i];
            // A run's later hand-offs use the version it pinned first: asking before adding skips TryAdd's lock.
            if (!prepared.Pins.ContainsKey(name)) prepared.Pins.TryAdd(name, version);
            if (!ShouldStampLastUsed(name, resolution.Time)) continue;
            _ = repository.TouchLastUsedAsync(name, resolution.Time).ContinueWith(
                t => logger.LogWarning(t.Exception, "Could not stamp the last use of secret {Secret}", name),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Prepares, ahead of a hand-off, which version of each secret a task will get, and the resolution (its audit
    /// event, which is also the run's manifest) that must be durable before it does; the caller writes it in its own commit and then
    /// calls <see cref="ResolutionsCommitted"/>. Null when any secret cannot be given: the hand-off then goes the
    /// full way and fails with the reason.
    /// </summary>
    public async ValueTask<PreparedResolutions?> PrepareResolutionsAsync(IReadOnlyList<string> names, ResolutionContext context, CancellationToken ct)
    {
        var prepared = PrepareFromMemory(names, context);
        if (prepared is null)
        {
            try
            {
                prepared = await PrepareAllAsync(names, context, auditFailures: false, ct);
            }
            catch (SecretResolutionException)
            {
                return null;
            }
        }
        return new PreparedResolutions(prepared.Resolution, prepared);
    }

    /// <summary>The prepared records were committed: their values may now be handed over.</summary>
    public void ResolutionsCommitted(PreparedResolutions prepared) => Recorded((PreparedUse)prepared.State);

    /// <summary>
    /// Per active run, the version of each secret it uses (secret name to version): its manifest's pins, kept in memory
    /// so a hand-off reads nothing. A run not in here (a server restart) has them read back from the manifest.
    /// </summary>
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, int>> _pins = new(StringComparer.Ordinal);

    /// <summary>A run created in this process has used no secret yet: its manifest need not be read back.</summary>
    public void RunStarted(string workflowId) => _pins.TryAdd(workflowId, new ConcurrentDictionary<string, int>(StringComparer.Ordinal));

    private async Task<ConcurrentDictionary<string, int>> PinsAsync(string workflowId, CancellationToken ct)
    {
        if (_pins.TryGetValue(workflowId, out var cached)) return cached;
        var loaded = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in await manifest.GetAsync(workflowId, ct)) loaded.TryAdd(entry.Secret, entry.Version);
        return _pins.GetOrAdd(workflowId, loaded);
    }

    /// <summary>
    /// What the vault keeps in memory of each secret for the checks of every hand-off: <see cref="Current"/>, the
    /// current versions of the secrets that can be used (not deleted, with a live version), and <see cref="Tags"/>.
    /// Each tags list is the vault's own copy and is replaced, never changed: the check may remember its answer while
    /// it is asked with the same list. A write through here changes the catalog in place (under
    /// <see cref="_catalogGate"/>); a reload builds a whole new one and swaps it in, so a hand-off reads one of them.
    /// </summary>
    private sealed record SecretCatalog(ConcurrentDictionary<string, int> Current, ConcurrentDictionary<string, IReadOnlyList<SecretTag>> Tags)
    {
        public static SecretCatalog Empty() => new(new(StringComparer.Ordinal), new(StringComparer.Ordinal));
    }

    private volatile SecretCatalog _catalog = SecretCatalog.Empty();
    private readonly Lock _catalogGate = new();

    /// <summary>Counts the changes made to the catalog in place: a reload that read the store before one of them reads again.</summary>
    private long _catalogChanges;

    private static int? CurrentVersion(SecretCatalog catalog, string name) => catalog.Current.TryGetValue(name, out var version) ? version : null;

    private static IReadOnlyList<SecretTag> TagsOf(SecretCatalog catalog, string name) => catalog.Tags.TryGetValue(name, out var tags) ? tags : [];

    private async Task RefreshCurrentAsync(string name, CancellationToken ct)
    {
        var record = await repository.GetAsync(name, ct);
        lock (_catalogGate)
        {
            if (record is { DeletedAt: null, CurrentVersion: > 0 }) _catalog.Current[name] = record.CurrentVersion;
            else _catalog.Current.TryRemove(name, out _);
            KeepTags(name, record);
        }
    }

    /// <summary>A secret's tags as they are now (empty for an unknown secret).</summary>
    public IReadOnlyList<SecretTag> TagsOf(string name) => TagsOf(_catalog, name);

    private async Task RefreshTagsAsync(string name, CancellationToken ct)
    {
        var record = await repository.GetAsync(name, ct);
        lock (_catalogGate) KeepTags(name, record);
    }

    /// <summary>Keeps a copy of the record's tags as the secret's (forgets them without a record): never the record's own list.</summary>
    private void KeepTags(string name, SecretRecord? record)
    {
        if (record is not null) _catalog.Tags[name] = [.. record.Tags];
        else _catalog.Tags.TryRemove(name, out _);
        _catalogChanges++;
    }

    /// <summary>The keyring purpose whose key signs API tokens.</summary>
    public const string TokenSigningPurpose = "api-token-signing";

    /// <summary>A key for another purpose than values (e.g. token signing), stable across restarts and data-key rotations.</summary>
    public byte[] PurposeKey(string purpose) => Ring.PurposeKey(purpose).ToArray();

    /// <summary>A value whose use <see cref="PrepareResolutionsAsync"/> prepared; null when it is no longer live.</summary>
    public SecretValue? RecordedValue(string name, int version)
    {
        lock (_liveGate) return _live.TryGetValue((name, version), out var value) ? value : null;
    }

    private readonly ConcurrentDictionary<string, long> _lastUsedStamped = new(StringComparer.Ordinal);

    /// <summary>"Last used" is stamped at most once a minute per secret: it is for people, not for the audit.</summary>
    private bool ShouldStampLastUsed(string name, long at)
    {
        var previous = _lastUsedStamped.GetValueOrDefault(name);
        if (at - previous < 60_000) return false;
        _lastUsedStamped[name] = at;
        return true;
    }

    private async Task<SecretValue> DecryptAsync(string name, int version, CancellationToken ct)
    {
        lock (_liveGate)
        {
            if (_live.TryGetValue((name, version), out var cached)) return cached;
        }
        var stored = await repository.GetVersionAsync(name, version, ct);
        if (stored?.Ciphertext is null) throw new SecretResolutionException($"secret '{name}' version {version} has been destroyed");
        SecretValue value;
        try
        {
            value = SecretValue.FromStored(stored.Kind, Cipher.Decrypt(name, version, stored.Ciphertext));
        }
        catch (SecretDecryptionException e)
        {
            throw new SecretResolutionException($"secret '{name}' version {version} cannot be decrypted: {e.Message}");
        }
        // A live version this node did not hold: another node stored it since this node last loaded (a run pinned to
        // it there). The redactor learns it before anyone here gets it, so whatever echoes it is masked.
        lock (_liveGate) _live[(name, version)] = value;
        RebuildRedactor();
        return value;
    }

    // ---- quarantine -----------------------------------------------------------------------------------------

    /// <summary>Encrypts a quarantined task output, bound to its run and task.</summary>
    public string Seal(string workflowId, string taskId, ReadOnlySpan<byte> plaintext) =>
        Convert.ToBase64String(Cipher.Encrypt(SealName(workflowId, taskId), 0, plaintext));

    /// <exception cref="SecretResolutionException">The sealed output does not decrypt (tampered or moved).</exception>
    public byte[] Unseal(string workflowId, string taskId, string sealedOutput)
    {
        try
        {
            return Cipher.Decrypt(SealName(workflowId, taskId), 0, Convert.FromBase64String(sealedOutput));
        }
        catch (Exception e) when (e is SecretDecryptionException or FormatException)
        {
            throw new SecretResolutionException($"the quarantined output of task {taskId} cannot be decrypted: {e.Message}");
        }
    }

    private static string SealName(string workflowId, string taskId) => $"sealed/{workflowId}/{taskId}";

    /// <summary>
    /// Values derived from secrets (a quarantined output's strings) that the redactor must mask while the run is
    /// active: a later task may send them somewhere that echoes them.
    /// </summary>
    public void AddDerivedValues(string workflowId, IEnumerable<string> values)
    {
        lock (_liveGate)
        {
            if (!_derived.TryGetValue(workflowId, out var list)) _derived[workflowId] = list = [];
            list.AddRange(values.Where(v => v.Length >= _options.MinimumValueLength));
        }
        RebuildRedactor();
    }

    /// <summary>
    /// The run ended: its derived values were masked wherever they were stored, so the redactor lets them go, and
    /// its manifest pins leave memory (a retry of the run reads them back from the store).
    /// </summary>
    public void RunEnded(string workflowId)
    {
        _pins.TryRemove(workflowId, out _);
        bool removed;
        lock (_liveGate) removed = _derived.Remove(workflowId);
        if (removed) RebuildRedactor();
    }

    // ---- keys -----------------------------------------------------------------------------------------------

    /// <summary>Starts a new data key term; older terms stay readable.</summary>
    public async Task<int> RotateDataKeyAsync(string? principal, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            var ring = await ChangeKeyringAsync(ring => ring.Rotate(), _master!, ct);
            RaiseChanged();
            await AppendAsync(new AuditEvent { Action = "rotate-data-key", Outcome = "ok", Principal = principal, Detail = $"term {ring.ActiveTerm}" }, ct);
            return ring.ActiveTerm;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// Re-wraps the keyring under a new master key without re-encrypting any value. The caller gives the new key
    /// (base64) or, when the current one came from a key file, lets the vault generate one and write that file.
    /// </summary>
    public async Task<string> RotateMasterKeyAsync(string? newKeyBase64, string? principal, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            MasterKey next;
            if (!string.IsNullOrEmpty(newKeyBase64))
            {
                try
                {
                    next = MasterKey.FromBase64(newKeyBase64);
                }
                catch (Exception e) when (e is FormatException or ArgumentException)
                {
                    throw new SecretRequestException("newMasterKey", "newMasterKey must be 32 bytes of base64");
                }
            }
            else if (_masterSource?.StartsWith("key file ", StringComparison.Ordinal) == true)
            {
                next = MasterKey.Generate();
                var path = _masterSource["key file ".Length..];
                var temp = path + ".new";
                var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
                if (!OperatingSystem.IsWindows()) fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                await using (var stream = new FileStream(temp, fileOptions))
                await using (var writer = new StreamWriter(stream))
                {
                    await writer.WriteAsync(next.ToBase64() + "\n");
                }
                try
                {
                    await ChangeKeyringAsync(_ => { }, next, ct);
                }
                catch
                {
                    File.Delete(temp);
                    throw;
                }
                File.Move(temp, path, overwrite: true);
                return await FinishMasterRotationAsync(next, principal, ct);
            }
            else
            {
                throw new SecretRequestException("newMasterKey", $"the master key comes from {_masterSource}; give the new one as newMasterKey and put it there before the next start");
            }
            await ChangeKeyringAsync(_ => { }, next, ct);
            return await FinishMasterRotationAsync(next, principal, ct);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task<string> FinishMasterRotationAsync(MasterKey next, string? principal, CancellationToken ct)
    {
        var previous = _master!.Fingerprint;
        _master.Dispose();
        _master = next;
        RaiseChanged();
        await AppendAsync(new AuditEvent { Action = "rotate-master-key", Outcome = "ok", Principal = principal, Detail = $"{previous} -> {next.Fingerprint}" }, ct);
        logger.LogWarning("Master key rotated: {Previous} -> {Next}. The keyring is now sealed with the new key", previous, next.Fingerprint);
        return next.Fingerprint;
    }

    public IReadOnlyList<KeyTerm> KeyTerms => Ring.Terms;

    /// <summary>Removes for good the secrets deleted longer ago than the recovery window.</summary>
    public async Task PurgeExpiredAsync(CancellationToken ct)
    {
        var before = Now() - (long)_options.RecoveryWindow.TotalMilliseconds;
        var purged = await repository.PurgeDeletedAsync(before, ct);
        if (purged.Count == 0) return;
        lock (_liveGate)
        {
            foreach (var key in _live.Keys.Where(k => purged.Contains(k.Name)).ToList()) _live.Remove(key);
        }
        RebuildRedactor();
        lock (_catalogGate)
        {
            foreach (var name in purged)
            {
                _catalog.Current.TryRemove(name, out _);
                _catalog.Tags.TryRemove(name, out _);
            }
            _catalogChanges++;
        }
        RaiseChanged();
        foreach (var name in purged)
        {
            await usePolicy.SecretPurgedAsync(name, ct);
            await AppendAsync(new AuditEvent { Action = "purge", Outcome = "ok", Secret = name }, ct);
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private async Task<SecretRecord> LiveRecordAsync(string name, string? principal, string action, CancellationToken ct)
    {
        if (await repository.GetAsync(name, ct) is { DeletedAt: null } record) return record;
        await AppendAsync(new AuditEvent { Action = action, Outcome = "not-found", Secret = name, Principal = principal }, ct);
        throw NotFound(name);
    }

    private async Task ForgetDestroyedAsync(string name, CancellationToken ct)
    {
        var live = (await repository.ListVersionsAsync(name, ct)).Where(v => v.Ciphertext is not null).Select(v => v.Version).ToHashSet();
        lock (_liveGate)
        {
            foreach (var key in _live.Keys.Where(k => k.Name == name && !live.Contains(k.Version)).ToList()) _live.Remove(key);
        }
    }

    /// <summary>
    /// Builds the redactor's entries and installs them under one lock: two rebuilds racing must never install the
    /// older snapshot last (a value just written would go unmasked until the next change).
    /// </summary>
    private void RebuildRedactor()
    {
        lock (_rebuildGate)
        {
            List<RedactionEntry> entries;
            lock (_liveGate)
            {
                entries = [.. _live.Select(e => new RedactionEntry(e.Key.Name, e.Value.Text))];
                foreach (var (workflowId, values) in _derived)
                {
                    entries.AddRange(values.Select(v => new RedactionEntry($"a value derived from secrets in run {workflowId}", v)));
                }
            }
            redactor.Reset(entries);
        }
    }

    private readonly Lock _rebuildGate = new();

    private async Task PersistKeyringIfChangedAsync(CancellationToken ct)
    {
        if (!_keyringDirty) return;
        _keyringDirty = false;
        await ChangeKeyringAsync(_ => { }, _master!, ct);
        await AppendAsync(new AuditEvent { Action = "rotate-data-key", Outcome = "ok", Detail = $"automatic, term {Ring.ActiveTerm}" }, ct);
    }

    private void CheckValue(SecretValue value)
    {
        var bytes = Encoding.UTF8.GetByteCount(value.Text);
        if (bytes > _options.MaxValueBytes)
        {
            throw new SecretTooLargeException($"A secret value is at most {_options.MaxValueBytes} bytes (this one is {bytes}); the limit is Baton:Secrets:MaxValueBytes");
        }
        if (value.Kind == SecretValue.StringKind && value.Text.Length < _options.MinimumValueLength)
        {
            throw new SecretRequestException("value",
                $"A secret value needs at least {_options.MinimumValueLength} characters: shorter values cannot be masked without mangling ordinary text. " +
                "Baton:Secrets:MinimumValueLength can lower the floor, at the cost of masking every occurrence of such short text everywhere.");
        }
    }

    private static void CheckName(string name)
    {
        if (SecretName.Problem(name) is { } problem) throw new SecretRequestException("name", problem);
    }

    private static void CheckTags(IReadOnlyList<SecretTag> tags)
    {
        for (var i = 0; i < tags.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(tags[i].Key)) throw new SecretRequestException($"$[{i}].key", "a tag needs a key");
            if (tags[i].Value is null) throw new SecretRequestException($"$[{i}].value", "a tag needs a value");
        }
    }

    private async Task TryAuditFailureAsync(string name, int? version, ResolutionContext context, string outcome, string detail, CancellationToken ct)
    {
        try
        {
            await AppendAsync(new AuditEvent
            {
                Action = "resolve",
                Outcome = outcome,
                Secret = name,
                Version = version,
                Principal = context.Principal,
                WorkflowId = context.WorkflowId,
                TaskId = context.TaskId,
                TaskReferenceName = context.TaskReferenceName,
                Detail = detail,
            }, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Could not audit a failed resolution of secret {Secret}", name);
        }
    }

    private Task AppendAsync(AuditEvent auditEvent, CancellationToken ct) =>
        audit.AppendAsync(Redacted(auditEvent with { Time = auditEvent.Time == 0 ? Now() : auditEvent.Time }), ct);

    /// <summary>The audit log is a sink like any other: its free text passes the redactor.</summary>
    private AuditEvent Redacted(AuditEvent auditEvent) =>
        auditEvent.Detail is null ? auditEvent : auditEvent with { Detail = redactor.Redact(auditEvent.Detail) };

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static SecretNotFoundException NotFound(string name) => new($"No secret named '{name}'");

    public void Dispose()
    {
        _writeGate.Dispose();
        _master?.Dispose();
    }
}
