using System.Globalization;
using Microsoft.Data.Sqlite;

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
    /// One INSERT of many rows: <paramref name="head"/> up to VALUES, then one parenthesised row of parameters per
    /// item (named <c>$c{column}_{row}</c>), then <paramref name="tail"/> (an ON CONFLICT clause, or empty).
    /// One statement costs the single writer far less than one per row.
    /// </summary>
    public static int InsertRows<T>(SqliteConnection connection, string head, string tail, IReadOnlyList<T> rows, Func<T, object?[]> values)
    {
        if (rows.Count == 0) return 0;
        using var command = connection.CreateCommand();
        var sql = new System.Text.StringBuilder(head).Append(" VALUES ");
        for (var r = 0; r < rows.Count; r++)
        {
            var row = values(rows[r]);
            sql.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < row.Length; c++)
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"$c{c}_{r}");
                sql.Append(c == 0 ? "" : ", ").Append(name);
                command.Parameters.AddWithValue(name, row[c] ?? DBNull.Value);
            }
            sql.Append(')');
        }
        command.CommandText = sql.Append(' ').Append(tail).Append(';').ToString();
        return command.ExecuteNonQuery();
    }

    public static long? Scalar(SqliteConnection connection, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using var command = Create(connection, sql, parameters);
        return command.ExecuteScalar() is { } value and not DBNull ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : null;
    }

    public static string? GetStringOrNull(this SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static long? GetInt64OrNull(this SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
}
