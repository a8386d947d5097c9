namespace Baton.Storage.Postgres;

/// <summary>Settings of the shared store (configuration section <c>Baton:Storage:Postgres</c>).</summary>
public sealed class PostgresOptions
{
    /// <summary>An Npgsql connection string, e.g. <c>Host=db;Port=5432;Username=baton;Password=...;Database=baton</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Most connections this node opens at once.</summary>
    public int MaxPoolSize { get; set; } = 50;

    /// <summary>
    /// How long a node may go without a heartbeat before the others take it for gone and carry on its runs (seconds;
    /// it beats every fifth of it). Shorter: a dead node's work moves on sooner. Longer: a node stalled that long
    /// (a pause, a slow database) is not taken for gone, which would run its in-flight system tasks a second time.
    /// </summary>
    public double NodeLeaseSeconds { get; set; } = 10;

    /// <summary>The problem with these settings, in words a person can act on; null when there is none.</summary>
    public static string? Problem(PostgresOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return "the setting Baton:Storage:Provider is 'postgres' but Baton:Storage:Postgres:ConnectionString is empty; " +
                "set it (e.g. Host=127.0.0.1;Port=5432;Username=baton;Database=baton).";
        }
        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(options.ConnectionString);
        }
        catch (ArgumentException e)
        {
            // The message names the keyword, never the value (a connection string may carry a password).
            return $"the setting Baton:Storage:Postgres:ConnectionString is not a valid connection string: {e.Message}";
        }
        if (options.MaxPoolSize < 1) return $"the setting Baton:Storage:Postgres:MaxPoolSize is {options.MaxPoolSize}; it must be at least 1 (default 50).";
        return options.NodeLeaseSeconds is < 1 or > 3600 or double.NaN
            ? $"the setting Baton:Storage:Postgres:NodeLeaseSeconds is {options.NodeLeaseSeconds}; it must be between 1 and 3600 (default 10)."
            : null;
    }
}
