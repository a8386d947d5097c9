using Baton.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Baton.Storage.Compliance;

/// <summary>The embedded SQLite store held to the compliance suite: one database file in a fresh temp folder per test.</summary>
public sealed class SqliteStorageCompliance : StorageComplianceSuite
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "baton-store-" + Guid.NewGuid().ToString("N"));

    private string DatabasePath => Path.Combine(_folder, "baton.db");

    protected override Task<StoreSession> CreateStoresAsync()
    {
        Directory.CreateDirectory(_folder);
        return Task.FromResult(Open());
    }

    protected override Task<StoreSession> ReopenAsync() => Task.FromResult(Open());

    protected override Task DropStoresAsync()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>Scans the database file and whatever sits beside it (the -wal and -shm files) byte by byte.</summary>
    protected override async Task<bool> StorageAtRestContainsAsync(byte[] bytes)
    {
        foreach (var file in Directory.EnumerateFiles(_folder))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            if (copy.GetBuffer().AsSpan(0, (int)copy.Length).IndexOf(bytes) >= 0) return true;
        }
        return false;
    }

    private StoreSession Open()
    {
        var database = new SqliteDatabase(DatabasePath, new SqliteOptions(), NullLogger<SqliteDatabase>.Instance);
        return new StoreSession(
            new SqliteMetadataStore(database),
            new SqliteExecutionStore(database),
            new SqliteSecretRepository(database),
            new SqliteAuditLog(database),
            new SqliteRunManifestStore(database),
            new SqliteEnvironmentStore(database),
            new SqliteScheduleStore(database),
            new SqliteSignInFailureStore(database),
            database);
    }
}
