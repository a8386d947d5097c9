using System.Text;

namespace Baton.Jq.Templates;

/// <summary>
/// Cuts a template string into text and <c>{{ … }}</c> blocks as Port's template library does: braces inside a quoted
/// string within a block do not count, <c>\</c> escapes inside a string, a <c>{{</c> inside a block is an error, a
/// block that never closes is an error, and a single-quoted string in a block is read as a double-quoted one
/// (<c>{{'https://' + .host}}</c>).
/// </summary>
internal static class TemplateText
{
    /// <summary>Longest template string, in characters.</summary>
    public const int MaxLength = 64 * 1024;

    /// <summary>Most blocks in one template string.</summary>
    public const int MaxBlocks = 100;

    public static bool HasBlock(string text) => text.Contains("{{", StringComparison.Ordinal);

    /// <summary>The text and the jq of each block (single quotes rewritten), in order.</summary>
    /// <exception cref="TemplateException">Unbalanced or nested braces, or a bound exceeded.</exception>
    public static List<(string? Text, string? Expression)> Split(string text, string path)
    {
        if (text.Length > MaxLength) throw new TemplateException(path, null, $"a template string is at most {MaxLength} characters");
        var parts = new List<(string?, string?)>();
        var literal = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (i + 1 < text.Length && text[i] == '{' && text[i + 1] == '{')
            {
                if (literal.Length > 0) parts.Add((literal.ToString(), null));
                literal.Clear();
                var (expression, end) = ReadBlock(text, i + 2, path);
                parts.Add((null, expression));
                if (parts.Count(p => p.Item2 is not null) > MaxBlocks) throw new TemplateException(path, null, $"a template string holds at most {MaxBlocks} blocks");
                i = end;
                continue;
            }
            literal.Append(text[i]);
            i++;
        }
        if (literal.Length > 0) parts.Add((literal.ToString(), null));
        return parts;
    }

    /// <summary>Reads a block's jq from <paramref name="start"/> (just past its <c>{{</c>) to its closing <c>}}</c>.</summary>
    private static (string Expression, int End) ReadBlock(string text, int start, string path)
    {
        var jq = new StringBuilder();
        char? quote = null; // the quote that opened the string the scan is in
        var depth = 0; // objects the block's jq has opened: their braces are not the block's
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is not null)
            {
                if (c == '\\' && i + 1 < text.Length)
                {
                    jq.Append(c).Append(text[i + 1]);
                    i++;
                    continue;
                }
                if (c == quote)
                {
                    jq.Append('"');
                    quote = null;
                    continue;
                }
                // Inside a single-quoted string read as a double-quoted one, a double quote is a character.
                jq.Append(c == '"' && quote == '\'' ? "\\\"" : c.ToString());
                continue;
            }
            switch (c)
            {
                case '"' or '\'':
                    quote = c;
                    jq.Append('"');
                    continue;
                case '{' when i + 1 < text.Length && text[i + 1] == '{':
                    throw new TemplateException(path, jq.ToString().Trim(), "found '{{' inside another block");
                case '{':
                    depth++;
                    jq.Append(c);
                    continue;
                case '}' when depth > 0:
                    depth--;
                    jq.Append(c);
                    continue;
                case '}' when i + 1 < text.Length && text[i + 1] == '}':
                    var expression = jq.ToString().Trim();
                    if (expression.Length == 0) throw new TemplateException(path, "", "an empty block");
                    return (expression, i + 2);
                default:
                    jq.Append(c);
                    continue;
            }
        }
        throw new TemplateException(path, jq.ToString().Trim(), quote is null ? "a block is never closed with '}}'" : "a string in a block is never closed");
    }
}
