namespace Baton.Secrets.Store;

/// <summary>A tag on a secret (Orkes shape).</summary>
public sealed record SecretTag(string Key, string Value);

/// <summary>What is known about a secret apart from its value. Never holds a value.</summary>
public sealed record SecretRecord
{
    public required string Name { get; init; }
    public string? Description { get; init; }
    /// <summary>The version a resolution uses. 0 when every version has been destroyed.</summary>
    public int CurrentVersion { get; init; }
    public string? CreatedBy { get; init; }
    public long CreatedAt { get; init; }
    public string? UpdatedBy { get; init; }
    public long UpdatedAt { get; init; }
    public long? LastUsedAt { get; init; }
    /// <summary>Set while the secret is soft-deleted: it can be restored until the recovery window ends.</summary>
    public long? DeletedAt { get; init; }
    public string? DeletedBy { get; init; }
    public IReadOnlyList<SecretTag> Tags { get; init; } = [];
}

/// <summary>One stored version: the ciphertext (or nothing, once destroyed) and who wrote it.</summary>
public sealed record SecretVersionRecord
{
    public required string Name { get; init; }
    public required int Version { get; init; }
    /// <summary>"string" or "json": how the plaintext is to be read.</summary>
    public required string Kind { get; init; }
    /// <summary>The encrypted value; null once the version is destroyed.</summary>
    public byte[]? Ciphertext { get; init; }
    public string? CreatedBy { get; init; }
    public long CreatedAt { get; init; }
    public long? DestroyedAt { get; init; }
}

/// <summary>A new version to write (check-and-set when <see cref="ExpectedVersion"/> is set).</summary>
public sealed record SecretWrite
{
    public required string Name { get; init; }
    public required int Version { get; init; }
    public required string Kind { get; init; }
    public required byte[] Ciphertext { get; init; }
    public string? Description { get; init; }
    public required string? Principal { get; init; }
    public required long At { get; init; }
    /// <summary>The version the writer read; the write is refused when the current version differs (0: must not exist).</summary>
    public int? ExpectedVersion { get; init; }
    /// <summary>Older versions beyond this many are destroyed in the same write.</summary>
    public int KeepVersions { get; init; } = 10;
}

public enum SecretWriteOutcome
{
    Written,
    VersionConflict,
}
