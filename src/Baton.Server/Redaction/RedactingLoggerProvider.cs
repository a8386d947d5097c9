using System.Globalization;
using System.Text;
using Baton.Secrets.Redaction;

namespace Baton.Server.Redaction;

/// <summary>
/// The server's log: one line per event on standard output, and every line (message and exception text) passes
/// the one redactor first. It replaces the console logger, so no log line can skip the redactor.
/// </summary>
public sealed class RedactingLoggerProvider(SecretRedactor redactor, TextWriter output) : ILoggerProvider
{
    private readonly Lock _gate = new();

    public ILogger CreateLogger(string categoryName) => new RedactingLogger(this, categoryName);

    private void Write(string line)
    {
        var safe = redactor.Redact(line);
        lock (_gate)
        {
            output.WriteLine(safe);
            output.Flush();
        }
    }

    public void Dispose()
    {
    }

    private sealed class RedactingLogger(RedactingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var line = new StringBuilder()
                .Append(DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture))
                .Append(' ').Append(Level(logLevel)).Append(": ").Append(category).Append('[').Append(eventId.Id).Append("] ")
                .Append(formatter(state, exception));
            if (exception is not null) line.Append(' ').Append(exception.ToString().ReplaceLineEndings(" | "));
            owner.Write(line.ToString());
        }

        private static string Level(LogLevel level) => level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            LogLevel.Critical => "crit",
            _ => "none",
        };
    }
}
