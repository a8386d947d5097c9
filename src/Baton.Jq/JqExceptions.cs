using System.Text.Json.Nodes;

namespace Baton.Jq;

/// <summary>The program text is not valid jq (or exceeds a bound); says where and what.</summary>
public sealed class JqParseException : Exception
{
    public JqParseException() : this("invalid jq program", 1, 1) { }

    public JqParseException(string message) : this(message, 1, 1) { }

    public JqParseException(string message, Exception innerException) : base(message, innerException) { Line = 1; Column = 1; Reason = message; }

    public JqParseException(string reason, int line, int column)
        : base($"{reason} at line {line}, column {column}")
    {
        Reason = reason;
        Line = line;
        Column = column;
    }

    /// <summary>What is wrong, without the position.</summary>
    public string Reason { get; }

    /// <summary>1-based line of the offending text.</summary>
    public int Line { get; }

    /// <summary>1-based column (in UTF-16 code units) of the offending text.</summary>
    public int Column { get; }
}

/// <summary>The program raised an error while running (jq's <c>error</c>, a type error, or a limit). <see cref="Value"/>
/// is jq's error value; <see cref="Exception.Message"/> is what jq would print after "jq: error: ".</summary>
public sealed class JqRuntimeException : Exception
{
    public JqRuntimeException() : this("jq error") { }

    public JqRuntimeException(string message) : base(message) { Value = JsonValue.Create(message); }

    public JqRuntimeException(string message, Exception innerException) : base(message, innerException) { Value = JsonValue.Create(message); }

    internal JqRuntimeException(JsonNode? value, string message, bool isLimit) : base(message)
    {
        Value = value;
        IsLimit = isLimit;
    }

    /// <summary>The error value (a string for jq's own errors; whatever <c>error(v)</c> was given otherwise).</summary>
    public JsonNode? Value { get; }

    /// <summary>True when a bound of <see cref="JqLimits"/> ended the run (steps, depth, size, regex time).</summary>
    public bool IsLimit { get; }
}
