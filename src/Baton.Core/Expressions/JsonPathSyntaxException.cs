using System.Globalization;

namespace Baton.Core.Expressions;

/// <summary>
/// A JSONPath that does not parse; the message says what was expected and at which character, quoting at most the
/// first 80 characters of the path.
/// </summary>
public sealed class JsonPathSyntaxException : FormatException
{
    public JsonPathSyntaxException()
    {
    }

    public JsonPathSyntaxException(string message)
        : base(message)
    {
    }

    public JsonPathSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal JsonPathSyntaxException(string path, string reason, int position)
        : base(string.Create(CultureInfo.InvariantCulture, $"Invalid JSONPath '{ExpressionSyntax.Quote(path)}': {reason} at {position}"))
    {
        PathText = path;
        Reason = reason;
        Position = position;
    }

    /// <summary>The path that failed to parse.</summary>
    public string? PathText { get; }

    /// <summary>What was wrong, without the position (e.g. "expected ']'").</summary>
    public string? Reason { get; }

    /// <summary>Zero-based index of the offending character in <see cref="PathText"/>.</summary>
    public int Position { get; }

    /// <summary>"reason at position", the short form used by validation messages.</summary>
    internal string ShortMessage => string.Create(CultureInfo.InvariantCulture, $"{Reason} at {Position}");
}
