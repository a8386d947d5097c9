using System.Data.Common;

namespace Baton.Secrets.Store;

/// <summary>
/// A secret's and a version's row as every provider selects it (<see cref="SecretColumns"/>,
/// <see cref="VersionColumns"/>, in that order), read in one place.
/// </summary>
public static class SecretRows
{
    public const string SecretColumns =
        "name, description, current_version, created_by, created_at, updated_by, updated_at, last_used_at, deleted_at, deleted_by";

    public const string VersionColumns = "name, version, kind, ciphertext, created_by, created_at, destroyed_at";

    public static SecretRecord Secret(DbDataReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new SecretRecord
        {
            Name = reader.GetString(0),
            Description = Text(reader, 1),
            CurrentVersion = reader.GetInt32(2),
            CreatedBy = Text(reader, 3),
            CreatedAt = reader.GetInt64(4),
            UpdatedBy = Text(reader, 5),
            UpdatedAt = reader.GetInt64(6),
            LastUsedAt = Number(reader, 7),
            DeletedAt = Number(reader, 8),
            DeletedBy = Text(reader, 9),
        };
    }

    public static SecretVersionRecord Version(DbDataReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new SecretVersionRecord
        {
            Name = reader.GetString(0),
            Version = reader.GetInt32(1),
            Kind = reader.GetString(2),
            Ciphertext = reader.IsDBNull(3) ? null : reader.GetFieldValue<byte[]>(3),
            CreatedBy = Text(reader, 4),
            CreatedAt = reader.GetInt64(5),
            DestroyedAt = Number(reader, 6),
        };
    }

    internal static string? Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    internal static long? Number(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
}
