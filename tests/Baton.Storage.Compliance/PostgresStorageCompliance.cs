using Baton.Storage.Postgres;

namespace Baton.Storage.Compliance;

/// <summary>
/// The shared PostgreSQL store held to the same compliance suite as SQLite: a fresh database per test on the server
/// BATON_TEST_POSTGRES names (scripts/test.sh starts one). "At rest" is the database's own files after a checkpoint
/// (<see cref="PostgresTestDatabase.DataFilesContainAsync"/>); the server-wide write-ahead log is not scanned.
/// </summary>
public sealed class PostgresStorageCompliance : StorageComplianceSuite
{
    private PostgresTestDatabase? _database;

    private PostgresTestDatabase Database => _database ?? throw new InvalidOperationException("The database is not created yet.");

    protected override async Task<StoreSession> CreateStoresAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync();
        return Open();
    }

    protected override Task<StoreSession> ReopenAsync() => Task.FromResult(Open());

    protected override async Task DropStoresAsync()
    {
        if (_database is not null) await _database.DisposeAsync();
    }

    protected override Task<bool> StorageAtRestContainsAsync(byte[] bytes) => Database.DataFilesContainAsync(bytes);

    private StoreSession Open()
    {
        var database = new PostgresDatabase(Database.ConnectionString);
        return new StoreSession(
            new PostgresMetadataStore(database),
            new PostgresExecutionStore(database),
            new PostgresSecretRepository(database),
            new PostgresAuditLog(database),
            new PostgresRunManifestStore(database),
            new PostgresEnvironmentStore(database),
            new PostgresScheduleStore(database),
            new PostgresSignInFailureStore(database),
            database);
    }
}
