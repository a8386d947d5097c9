namespace Baton.Engine.Persistence;

/// <summary>
/// Whether the store can be reached now, for /health/ready. A store on a server of its own (PostgreSQL) registers one;
/// the embedded SQLite file has none, for it cannot be away while the process runs.
/// </summary>
public interface IStorageHealth
{
    /// <returns>null when the store answers; else what is wrong, in words that name no secret.</returns>
    Task<string?> ProblemAsync(CancellationToken ct = default);
}
