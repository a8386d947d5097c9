using Baton.Engine.Cluster;
using Npgsql;

namespace Baton.Storage.Postgres;

/// <summary>
/// Locks every node sharing the database respects: a transaction holding <c>pg_advisory_xact_lock</c> on the name's
/// 64-bit hash, open until the lock is disposed (then committed, which releases it). A node that dies while holding
/// one loses its session, and the lock with it. Two names with one hash share a lock, which costs a wait, never a
/// wrong answer.
/// </summary>
public sealed class PostgresClusterLocks(PostgresDatabase database) : IClusterLocks
{
    public async Task<IAsyncDisposable> AcquireAsync(string name, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(name);
        var connection = await database.OpenAsync(ct);
        try
        {
            var transaction = await connection.BeginTransactionAsync(ct);
            await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended(@name, 0));", connection, transaction))
            {
                command.Parameters.Add(PostgresCommands.Text("name", name));
                await command.ExecuteNonQueryAsync(ct);
            }
            return new Held(connection, transaction);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private sealed class Held(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await transaction.CommitAsync();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                // The session is gone (PostgreSQL away): so is the lock.
            }
            finally
            {
                await transaction.DisposeAsync();
                await connection.DisposeAsync();
            }
        }
    }
}
