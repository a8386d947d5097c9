using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Baton.Storage.Sqlite;

/// <summary>Parameterised commands without the ceremony: null values become SQL NULL.</summary>
internal static class SqliteCommands
{
    public static SqliteCommand Create(SqliteConnection connection, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    public static int Execute(SqliteConnection connection, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = Create(connection, sql, parameters);
        return command.ExecuteNonQuery();
    }

    /// <summary>
    /// Runs <paramref name="sql"/> (one statement, positional parameters <c>?1</c>…) through a statement prepared once
    /// per connection; returns the rows it changed. For the writer's fixed statements. Values: strings, integers,
    /// UTF-8 text as <c>byte[]</c>, <see cref="DBNull"/> for SQL NULL.
    /// </summary>
    public static int Run(SqliteConnection connection, string sql, params ReadOnlySpan<object?> values)
    {
        var db = connection.Handle ?? throw new InvalidOperationException("the connection is not open");
        var statement = Prepared(connection, db, sql);
        try
        {
            for (var c = 0; c < values.Length; c++) Check(Bind(statement, c + 1, values[c]), db);
            Check(raw.sqlite3_step(statement), db);
            return raw.sqlite3_changes(db);
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }
    }

    /// <summary>The rowid of the last row inserted on <paramref name="connection"/> (an INTEGER PRIMARY KEY's value).</summary>
    public static long LastInsertRowId(SqliteConnection connection) =>
        raw.sqlite3_last_insert_rowid(connection.Handle ?? throw new InvalidOperationException("the connection is not open"));

    /// <summary>Binds one value: <see cref="DBNull"/> is SQL NULL; null is a missing value and refused, as ADO.NET does.</summary>
    private static int Bind(sqlite3_stmt statement, int index, object? value) => value switch
    {
        null => throw new InvalidOperationException($"parameter ?{index} has no value"),
        DBNull => raw.sqlite3_bind_null(statement, index),
        string text => raw.sqlite3_bind_text(statement, index, text),
        int number => raw.sqlite3_bind_int64(statement, index, number),
        long number => raw.sqlite3_bind_int64(statement, index, number),
        byte[] utf8 => raw.sqlite3_bind_text(statement, index, utf8.AsSpan()),
        _ => throw new ArgumentException($"cannot bind a {value.GetType().Name}", nameof(value)),
    };

    private static void Check(int rc, sqlite3 db)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW)) SqliteException.ThrowExceptionForRC(rc, db);
    }

    private static readonly ConditionalWeakTable<SqliteConnection, Dictionary<string, sqlite3_stmt>> PreparedStatements = new();

    /// <summary>A statement kept with its connection. A connection is used by one thread at a time, so is its cache.</summary>
    private static sqlite3_stmt Prepared(SqliteConnection connection, sqlite3 db, string sql)
    {
        var statements = PreparedStatements.GetOrCreateValue(connection);
        if (statements.TryGetValue(sql, out var statement)) return statement;
        var rc = raw.sqlite3_prepare_v2(db, sql, out statement);
        if (rc != raw.SQLITE_OK)
        {
            statement.Dispose();
            SqliteException.ThrowExceptionForRC(rc, db);
        }
        statements[sql] = statement;
        return statement;
    }

    /// <summary>Finalizes the statements kept with <paramref name="connection"/>; call it before closing the connection.</summary>
    public static void ReleasePrepared(SqliteConnection connection)
    {
        if (!PreparedStatements.TryGetValue(connection, out var statements)) return;
        PreparedStatements.Remove(connection);
        foreach (var statement in statements.Values) statement.Dispose();
    }

    public static long? Scalar(SqliteConnection connection, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = Create(connection, sql, parameters);
        return command.ExecuteScalar() is { } value and not DBNull ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : null;
    }

    public static string? GetStringOrNull(this SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static long? GetInt64OrNull(this SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
}
