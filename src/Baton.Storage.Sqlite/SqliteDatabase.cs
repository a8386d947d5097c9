using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Baton.Storage.Sqlite;

/// <summary>
/// The database file: schema migrations, pooled read connections, and one writer thread that group-commits:
/// it takes every write waiting, runs them in one transaction (again each under its own savepoint when one of
/// them fails, so one bad write fails alone), commits once, and only then completes each caller. Throughput comes
/// from sharing the commit (and its fsync) between many callers; durability from never answering before the commit.
/// </summary>
public sealed class SqliteDatabase : IAsyncDisposable
{
    private readonly Channel<WriteJob> _writes = Channel.CreateUnbounded<WriteJob>(new UnboundedChannelOptions { SingleReader = true });
    private readonly string _connectionString;
    private readonly SqliteOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _openGate = new();
    private volatile bool _open;
    private Thread? _writer;
    private SqliteConnection _writeConnection = null!; // set by Open, before the writer thread starts

    /// <summary>
    /// Touches nothing on disk: the file is opened (created, migrated) by the first read or write, so a server can
    /// build its services, bind its listener, and only then write into its data folder.
    /// </summary>
    public SqliteDatabase(string path, SqliteOptions options, ILogger<SqliteDatabase> logger)
    {
        _options = options;
        _logger = logger;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        Path = path;
    }

    private void EnsureOpen()
    {
        if (_open) return;
        lock (_openGate)
        {
            if (_open) return;
            Open();
            _open = true;
        }
    }

    private void Open()
    {
        PrivateFiles.CreateFolder(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        // Created owner-only before SQLite opens it; SQLite gives the -wal and -shm files the database file's mode.
        PrivateFiles.CreateOrRestrict(Path);
        _writeConnection = new SqliteConnection(_connectionString);
        _writeConnection.Open();
        Execute(_writeConnection, "PRAGMA journal_mode=WAL;");
        // Companions left by an older server that created them world-readable.
        PrivateFiles.Restrict(Path + "-wal");
        PrivateFiles.Restrict(Path + "-shm");
        Execute(_writeConnection, $"PRAGMA synchronous={SynchronousMode(_options.Synchronous)};");
        Execute(_writeConnection, "PRAGMA foreign_keys=ON;");
        // Deleted content (a destroyed secret version's ciphertext) is overwritten with zeros, not left in free space.
        Execute(_writeConnection, "PRAGMA secure_delete=ON;");
        // A savepoint (each job's, when a batch runs isolated) and a statement journal copy the pages they touch aside
        // so they can roll back alone. Past 64 KiB SQLite spills that copy to a file in /var/tmp: thousands of small
        // write syscalls per second under load. Kept in memory, it is a memcpy; the copy is only ever needed inside
        // the open transaction.
        Execute(_writeConnection, "PRAGMA temp_store=MEMORY;");
        SqliteSchema.Migrate(_writeConnection);
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "baton-sqlite-writer" };
        _writer.Start();
    }

    public string Path { get; }

    private readonly List<Action> _afterCommit = [];

    /// <summary>
    /// From inside a write (on the writer thread): runs <paramref name="action"/> once the transaction holding the write
    /// has committed, and never if the write is rolled back (the whole batch, or the job's own savepoint). For state kept
    /// beside the database that must follow what is durable, such as the audit log's keys not yet filed.
    /// </summary>
    internal void AfterCommit(Action action) => _afterCommit.Add(action);

    private void Committed()
    {
        foreach (var action in _afterCommit) action();
        _afterCommit.Clear();
    }

    /// <summary>Runs <paramref name="work"/> inside the next group commit; completes once it is durable.</summary>
    public Task WriteAsync(Action<SqliteConnection> work, CancellationToken ct = default)
    {
        EnsureOpen();
        var job = new WriteJob(work);
        ObjectDisposedException.ThrowIf(!_writes.Writer.TryWrite(job), this);
        return job.Done.Task.WaitAsync(ct);
    }

    /// <summary>
    /// Copies every committed page into the database file and empties the WAL. Called after a write that erased
    /// something (a destroyed secret version, a replaced keyring): secure_delete zeroes the content in the new page
    /// images, but the old images stay in the WAL until the next automatic checkpoint, and in the database file until
    /// the checkpoint overwrites them. Waits while readers still hold an older snapshot.
    /// </summary>
    public async Task CheckpointAsync(CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            using (var connection = OpenRead())
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
                using var reader = command.ExecuteReader();
                // One row: busy (1 when it could not finish), pages in the WAL, pages checkpointed.
                if (reader.Read() && reader.GetInt32(0) == 0) return;
            }
            if (attempt == 5)
            {
                _logger.LogWarning("The WAL could not be checkpointed after an erasure: readers kept older snapshots; the next automatic checkpoint will do it");
                return;
            }
            await Task.Delay(20, ct);
        }
    }

    /// <summary>Opens a pooled connection for reading (WAL lets reads run beside the writer).</summary>
    public SqliteConnection OpenRead()
    {
        EnsureOpen();
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private void WriteLoop()
    {
        var batch = new List<WriteJob>(_options.MaxBatch);
        while (_writes.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            while (batch.Count < _options.MaxBatch && _writes.Reader.TryRead(out var job)) batch.Add(job);
            if (batch.Count == 0) continue;
            try
            {
                RunBatch(batch);
            }
            catch (Exception e)
            {
                // The writer thread must outlive any failure: fail this batch, keep serving the next.
                _logger.LogError(e, "A group commit of {Count} writes failed", batch.Count);
                TryRollback();
                foreach (var job in batch) job.Done.TrySetException(e);
            }
        }
    }

    /// <summary>
    /// Most batches hold no failing write, so they first run as one plain transaction: a savepoint per job would copy
    /// aside every page its job touches. When a job throws, that transaction is rolled back and the batch runs again
    /// with each job under its own savepoint, so the bad write fails alone (jobs only write, so running one again
    /// after a rollback is safe). Either way no caller hears back before the commit.
    /// </summary>
    private void RunBatch(List<WriteJob> batch)
    {
        if (!RunTogether(batch)) RunIsolated(batch);
    }

    /// <summary>The batch in one transaction; false (rolled back, nobody answered) when a job threw.</summary>
    private bool RunTogether(List<WriteJob> batch)
    {
        try
        {
            Execute(_writeConnection, "BEGIN IMMEDIATE;");
            foreach (var job in batch)
            {
                try
                {
                    job.Work(_writeConnection);
                }
                catch (Exception e)
                {
                    TryRollback();
                    if (batch.Count > 1) return false;
                    job.Done.TrySetException(e);
                    return true;
                }
            }
            Execute(_writeConnection, "COMMIT;");
        }
        catch (SqliteException e)
        {
            FailAll(batch, e);
            return true;
        }
        Committed();
        foreach (var job in batch) job.Done.TrySetResult();
        return true;
    }

    /// <summary>The batch in one transaction, each job under its own savepoint.</summary>
    private void RunIsolated(List<WriteJob> batch)
    {
        var failed = new Exception?[batch.Count];
        try
        {
            Execute(_writeConnection, "BEGIN IMMEDIATE;");
            for (var i = 0; i < batch.Count; i++)
            {
                SqliteCommands.Run(_writeConnection, "SAVEPOINT job;");
                var registered = _afterCommit.Count;
                try
                {
                    batch[i].Work(_writeConnection);
                    SqliteCommands.Run(_writeConnection, "RELEASE job;");
                }
                catch (Exception e)
                {
                    failed[i] = e;
                    Execute(_writeConnection, "ROLLBACK TO job; RELEASE job;");
                    _afterCommit.RemoveRange(registered, _afterCommit.Count - registered);
                }
            }
            Execute(_writeConnection, "COMMIT;");
        }
        catch (SqliteException e)
        {
            FailAll(batch, e);
            return;
        }
        Committed();
        for (var i = 0; i < batch.Count; i++)
        {
            if (failed[i] is { } error) batch[i].Done.TrySetException(error);
            else batch[i].Done.TrySetResult();
        }
    }

    private void FailAll(List<WriteJob> batch, SqliteException e)
    {
        _logger.LogError(e, "A group commit of {Count} writes failed", batch.Count);
        TryRollback();
        foreach (var job in batch) job.Done.TrySetException(e);
    }

    private void TryRollback()
    {
        _afterCommit.Clear();
        try
        {
            Execute(_writeConnection, "ROLLBACK;");
        }
        catch (SqliteException)
        {
            // No transaction was open.
        }
    }

    internal static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string SynchronousMode(string value) => value.ToUpperInvariant() switch
    {
        "OFF" or "NORMAL" or "FULL" or "EXTRA" => value.ToUpperInvariant(),
        _ => throw new InvalidOperationException($"Baton:Storage:Sqlite:Synchronous is '{value}'; use FULL, NORMAL, EXTRA or OFF"),
    };

    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        lock (_openGate) _open = true; // a later read or write must not open the file again
        if (_writer is null) return;
        await Task.Run(() => _writer.Join(TimeSpan.FromSeconds(10)));
        SqliteCommands.ReleasePrepared(_writeConnection);
        await _writeConnection.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }

    private sealed class WriteJob(Action<SqliteConnection> work)
    {
        public Action<SqliteConnection> Work { get; } = work;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
