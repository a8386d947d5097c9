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

    private StoreSession Open()
    {
        var database = new SqliteDatabase(DatabasePath, new SqliteOptions(), NullLogger<SqliteDatabase>.Instance);
        return new StoreSession(new SqliteMetadataStore(database), new SqliteExecutionStore(database), database);
    }
}
