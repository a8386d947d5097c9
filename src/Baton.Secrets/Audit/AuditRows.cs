using System.Data.Common;
using Baton.Secrets.Store;

namespace Baton.Secrets.Audit;

/// <summary>An audit row as every provider selects it (<see cref="Columns"/>, in that order), read in one place.</summary>
public static class AuditRows
{
    public const string Columns = "id, time, action, outcome, secret, version, principal, workflow_id, task_id, task_reference_name, detail";

    public static AuditEvent Event(DbDataReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new AuditEvent
        {
            Id = reader.GetInt64(0),
            Time = reader.GetInt64(1),
            Action = reader.GetString(2),
            Outcome = reader.GetString(3),
            Secret = SecretRows.Text(reader, 4),
            Version = reader.IsDBNull(5) ? null : reader.GetInt32(5),
            Principal = SecretRows.Text(reader, 6),
            WorkflowId = SecretRows.Text(reader, 7),
            TaskId = SecretRows.Text(reader, 8),
            TaskReferenceName = SecretRows.Text(reader, 9),
            Detail = SecretRows.Text(reader, 10),
        };
    }

    /// <summary>
    /// A resolution's row read back as one <c>resolve</c> event per secret it gave, the last named first (as if
    /// appended one by one, newest first); only <paramref name="onlySecret"/>'s when it is set.
    /// </summary>
    public static void AddResolved(List<AuditEvent> into, AuditEvent row, IReadOnlyList<ResolvedSecret> secrets, string? onlySecret)
    {
        ArgumentNullException.ThrowIfNull(into);
        ArgumentNullException.ThrowIfNull(secrets);
        for (var i = secrets.Count - 1; i >= 0; i--)
        {
            var secret = secrets[i];
            if (onlySecret is not null && secret.Name != onlySecret) continue;
            into.Add(row with { Secret = secret.Name, Version = secret.Version, Fingerprint = secret.Fingerprint });
        }
    }
}
