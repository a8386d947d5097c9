namespace Baton.Secrets.Store;

/// <summary>
/// Where secrets live, encrypted: the wrapped keyring, secret metadata, versions (ciphertext only) and tags.
/// Implemented once per storage provider and held to the compliance suite. Every write is durable when it returns.
/// </summary>
public interface ISecretRepository
{
    /// <summary>The wrapped keyring (see Crypto.Keyring.Wrap), or null before the first start.</summary>
    Task<byte[]?> LoadKeyringAsync(CancellationToken ct = default);
    /// <summary>
    /// Replaces the stored keyring with <paramref name="wrapped"/> only if it still is <paramref name="expected"/>, byte
    /// for byte, and erases the old one at rest. False, writing nothing, when another writer replaced it first: a
    /// node never overwrites a data key another node added, nor a master-key rotation made elsewhere.
    /// </summary>
    Task<bool> SaveKeyringAsync(byte[] wrapped, byte[] expected, CancellationToken ct = default);
    /// <summary>Stores the first keyring: only if none is stored yet. False when one was (another node created it first: use that one).</summary>
    Task<bool> CreateKeyringAsync(byte[] wrapped, CancellationToken ct = default);

    /// <summary>A secret's metadata with its tags, soft-deleted ones included; null when unknown.</summary>
    Task<SecretRecord?> GetAsync(string name, CancellationToken ct = default);
    /// <summary>Every secret ordered by name; soft-deleted ones only when asked.</summary>
    Task<IReadOnlyList<SecretRecord>> ListAsync(bool includeDeleted, CancellationToken ct = default);

    /// <summary>
    /// Atomically: checks <see cref="SecretWrite.ExpectedVersion"/> against the current version (a soft-deleted
    /// secret counts as absent and is revived by the write), inserts the version, makes it current, sets the
    /// description when given, and destroys versions older than the newest <see cref="SecretWrite.KeepVersions"/>.
    /// Nothing changes on a conflict.
    /// </summary>
    Task<SecretWriteOutcome> WriteVersionAsync(SecretWrite write, CancellationToken ct = default);

    Task<SecretVersionRecord?> GetVersionAsync(string name, int version, CancellationToken ct = default);
    /// <summary>A secret's versions, newest first, ciphertext included (null for destroyed ones).</summary>
    Task<IReadOnlyList<SecretVersionRecord>> ListVersionsAsync(string name, CancellationToken ct = default);
    /// <summary>Every version not destroyed, of every secret not purged (deleted ones too: their values may still be in flight).</summary>
    Task<IReadOnlyList<SecretVersionRecord>> ListLiveVersionsAsync(CancellationToken ct = default);

    /// <returns>false when the secret is unknown or already deleted.</returns>
    Task<bool> MarkDeletedAsync(string name, string? principal, long at, CancellationToken ct = default);
    /// <returns>false when the secret is unknown or not deleted.</returns>
    Task<bool> RestoreAsync(string name, CancellationToken ct = default);
    /// <summary>Removes for good every secret deleted before <paramref name="deletedBefore"/>, with its versions and tags.</summary>
    Task<IReadOnlyList<string>> PurgeDeletedAsync(long deletedBefore, CancellationToken ct = default);
    /// <summary>Erases one version's ciphertext; when it was current, the newest remaining live version becomes current (0 if none).</summary>
    /// <returns>false when that version does not exist or is already destroyed.</returns>
    Task<bool> DestroyVersionAsync(string name, int version, long at, CancellationToken ct = default);

    /// <summary>Adds or replaces tags by key.</summary>
    Task SetTagsAsync(string name, IReadOnlyList<SecretTag> tags, CancellationToken ct = default);
    /// <summary>Removes the tags with these keys (and values, when they match).</summary>
    Task RemoveTagsAsync(string name, IReadOnlyList<SecretTag> tags, CancellationToken ct = default);

    Task TouchLastUsedAsync(string name, long at, CancellationToken ct = default);

    /// <summary>Changes a live secret's description, and its update stamps, without a new version; false when there is no live secret by that name.</summary>
    Task<bool> SetDescriptionAsync(string name, string? description, string? principal, long at, CancellationToken ct = default);
}
