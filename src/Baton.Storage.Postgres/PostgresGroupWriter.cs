using System.Threading.Channels;
using Npgsql;

namespace Baton.Storage.Postgres;

/// <summary>
/// Group commit for the writes on the engine's hot path (a run's changes), as SQLite's single writer does it: the
/// writes waiting are appended to one batch and committed in one transaction, one round trip and one WAL flush for
/// all of them, and each caller hears back only after the commit. When the shared transaction fails on a write (not
/// on the connection), each write runs again in a transaction of its own, so a bad write fails alone (writes are
/// upserts and inserts, so running one again after a rollback is safe). A connection failure fails the whole group:
/// nothing of it was committed.
/// </summary>
internal sealed class PostgresGroupWriter : IAsyncDisposable
{
    /// <summary>Most writes in one group.</summary>
    private const int MaxGroup = 256;

    private readonly Channel<Write> _writes = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });
    private readonly PostgresDatabase _database;
    private readonly Task _loop;

    public PostgresGroupWriter(PostgresDatabase database)
    {
        _database = database;
        _loop = Task.Run(LoopAsync);
    }

    private sealed record Write(Action<NpgsqlBatch> Append, TaskCompletionSource Done);

    /// <summary>Appends <paramref name="append"/>'s commands to the next group; returns once that group is committed.</summary>
    public Task WriteAsync(Action<NpgsqlBatch> append)
    {
        var write = new Write(append, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        ObjectDisposedException.ThrowIf(!_writes.Writer.TryWrite(write), this);
        return write.Done.Task;
    }

    private async Task LoopAsync()
    {
        var group = new List<Write>(MaxGroup);
        while (await _writes.Reader.WaitToReadAsync())
        {
            group.Clear();
            while (group.Count < MaxGroup && _writes.Reader.TryRead(out var write)) group.Add(write);
            try
            {
                await CommitAsync(group);
            }
            catch (PostgresException) when (group.Count > 1)
            {
                // A write was refused (a constraint, a type): the others must not fail with it.
                foreach (var write in group) await CommitAloneAsync(write);
            }
            catch (Exception e)
            {
                foreach (var write in group) write.Done.TrySetException(e);
            }
        }
    }

    private async Task CommitAsync(List<Write> group)
    {
        await using var connection = await _database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            foreach (var write in group) write.Append(batch);
            await batch.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
        foreach (var write in group) write.Done.TrySetResult();
    }

    private async Task CommitAloneAsync(Write write)
    {
        try
        {
            await CommitAsync([write]);
        }
        catch (Exception e)
        {
            write.Done.TrySetException(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        await _loop;
    }
}
