using System.Threading.Channels;
using Npgsql;

namespace Baton.Storage.Postgres;

/// <summary>
/// Group commit for the writes on the engine's hot path (a run's changes), as SQLite's single writer does it: the
/// writes waiting are appended to one batch and committed in one transaction, one round trip and one WAL flush for
/// all of them, and each caller hears back only after the commit. When the shared transaction fails on a write (not
/// on the connection), that write fails alone and the others run again together; when PostgreSQL does not say which
/// command failed, each write runs again in a transaction of its own (writes are upserts, inserts and version-checked
/// updates, so running one again after a rollback is safe). A connection failure fails the whole group: nothing of
/// it was committed.
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
            while (group.Count > 0)
            {
                try
                {
                    await CommitAsync(group);
                    group.Clear();
                }
                catch (WriteRefused refused)
                {
                    // PostgreSQL named the command that failed: that write fails alone, the others go again together
                    // (a run changed by another node since it was read is the usual case, and must not cost the group).
                    group[refused.Index].Done.TrySetException(refused.Error);
                    group.RemoveAt(refused.Index);
                }
                catch (PostgresException) when (group.Count > 1)
                {
                    // A write was refused and the failing command is not known: the others must not fail with it.
                    foreach (var write in group) await CommitAloneAsync(write);
                    group.Clear();
                }
                catch (Exception e)
                {
                    foreach (var write in group) write.Done.TrySetException(e);
                    group.Clear();
                }
            }
        }
    }

    /// <summary>The write at <see cref="Index"/> of the group made PostgreSQL refuse the transaction.</summary>
    private sealed class WriteRefused(int index, PostgresException error) : Exception(error.Message, error)
    {
        public int Index { get; } = index;
        public PostgresException Error { get; } = error;
    }

    private async Task CommitAsync(List<Write> group)
    {
        await using var connection = await _database.OpenAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            var firstCommand = new int[group.Count];
            for (var i = 0; i < group.Count; i++)
            {
                firstCommand[i] = batch.BatchCommands.Count;
                group[i].Append(batch);
            }
            try
            {
                await batch.ExecuteNonQueryAsync();
            }
            catch (PostgresException e) when (group.Count > 1 && e.BatchCommand is { } failed && batch.BatchCommands.IndexOf(failed) is var at and >= 0)
            {
                var owner = Array.FindLastIndex(firstCommand, first => first <= at);
                throw new WriteRefused(owner, e);
            }
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
