namespace Baton.Core.Expressions;

/// <summary>
/// Finds the <c>${...}</c> expressions of a text in order: a "${" not preceded by '$' (that is the "$${" escape), up
/// to its matching '}' (braces nest). After an expression the search goes on behind its '}'; an unterminated one
/// (<see cref="Close"/> is -1) is passed by its two characters, so expressions after it are still found.
/// Linear in the text's length: after the first unterminated expression every later brace is matched in one pass,
/// where scanning to the end again for each later "${" would be quadratic.
/// </summary>
internal sealed class ExpressionScanner(string text)
{
    private int from;

    /// <summary>Once an expression is unterminated: the matching '}' of each '{' from <see cref="matchBase"/> on, else -1.</summary>
    private int[]? matchOf;
    private int matchBase;

    /// <summary>Index of the '$' of the current expression.</summary>
    public int Open { get; private set; }

    /// <summary>Index of the current expression's closing '}', or -1 when it is unterminated.</summary>
    public int Close { get; private set; }

    public bool MoveNext()
    {
        while (true)
        {
            var open = from < text.Length ? text.IndexOf("${", from, StringComparison.Ordinal) : -1;
            if (open < 0)
            {
                from = text.Length;
                return false;
            }

            if (open > 0 && text[open - 1] == '$')
            {
                from = open + 2;
                continue;
            }

            Open = open;
            Close = matchOf is null ? Scan(open + 1) : matchOf[open + 1 - matchBase];
            from = Close < 0 ? open + 2 : Close + 1;
            return true;
        }
    }

    private int Scan(int brace)
    {
        var depth = 0;
        for (var i = brace; i < text.Length; i++)
        {
            if (text[i] == '{')
            {
                depth++;
            }
            else if (text[i] == '}' && --depth == 0)
            {
                return i;
            }
        }

        matchBase = brace;
        matchOf = MatchBraces(brace);
        return -1;
    }

    /// <summary>
    /// One pass with a stack: a '{' is matched by the first '}' that balances the braces after it, which is exactly
    /// what <see cref="Scan"/> finds from that '{' (what comes before it does not matter).
    /// </summary>
    private int[] MatchBraces(int start)
    {
        var matches = new int[text.Length - start];
        Array.Fill(matches, -1);
        var open = new Stack<int>();
        for (var i = start; i < text.Length; i++)
        {
            if (text[i] == '{')
            {
                open.Push(i);
            }
            else if (text[i] == '}' && open.TryPop(out var brace))
            {
                matches[brace - start] = i;
            }
        }

        return matches;
    }
}
