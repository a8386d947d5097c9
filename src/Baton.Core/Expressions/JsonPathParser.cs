using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Baton.Core.Expressions;

/// <summary>
/// Recursive-descent parser for the Jayway subset. Positions in errors are indices into the text as given.
/// Its bounds keep both parsing and evaluation of any path within a small, fixed stack depth (a stack overflow would
/// end the process): see <see cref="MaxLength"/>, <see cref="MaxNesting"/> and <see cref="MaxSegments"/>.
/// </summary>
internal sealed class JsonPathParser
{
    /// <summary>
    /// How deep filters may nest, counting every recursive production: each filter <c>[?( )]</c>, each parenthesis
    /// and each negation <c>!</c>. Checked before descending.
    /// </summary>
    internal const int MaxNesting = 32;

    /// <summary>The longest path accepted, in characters (Conductor paths are tens of characters).</summary>
    internal const int MaxLength = 4096;

    /// <summary>
    /// Steps in the whole path, those of the paths inside its filters included. Evaluation walks one step per stack
    /// frame or so, so this bounds the depth of every evaluation too.
    /// </summary>
    internal const int MaxSegments = 256;

    private readonly string text;
    private int pos;
    private int nesting;
    private int segmentCount;

    private JsonPathParser(string text) => this.text = text;

    private bool AtEnd => pos >= text.Length;

    private char Current => text[pos];

    public static PathSegment[] ParsePath(string text)
    {
        var parser = new JsonPathParser(text);
        if (text.Length > MaxLength)
        {
            parser.pos = MaxLength;
            throw parser.Error($"longer than {MaxLength} characters");
        }

        parser.SkipWhitespace();
        if (parser.AtEnd)
        {
            throw parser.Error("expected a path");
        }

        var segments = new List<PathSegment>();
        if (parser.Current == '$')
        {
            parser.pos++;
        }
        else if (parser.Current != '[')
        {
            parser.CountSegment();
            segments.Add(new PropertySegment(parser.ReadName(inFilter: false)));
        }

        parser.ReadSegments(segments, inFilter: false);
        parser.SkipWhitespace();
        if (!parser.AtEnd)
        {
            throw parser.Error($"unexpected '{parser.Current}'");
        }

        return [.. segments];
    }

    private void ReadSegments(List<PathSegment> segments, bool inFilter)
    {
        while (!AtEnd)
        {
            if (Current is '[' or '.')
            {
                CountSegment();
            }

            if (Current == '[')
            {
                segments.Add(ReadBracket());
            }
            else if (Current == '.')
            {
                pos++;
                if (!AtEnd && Current == '.')
                {
                    pos++;
                    segments.Add(new DeepScanSegment(ReadAfterDot(inFilter)));
                }
                else
                {
                    segments.Add(ReadAfterDot(inFilter));
                }
            }
            else
            {
                return;
            }
        }
    }

    private void CountSegment()
    {
        if (++segmentCount > MaxSegments)
        {
            throw Error($"more than {MaxSegments} steps");
        }
    }

    /// <summary>Called before every recursive descent of the filter grammar; <see cref="Leave"/> after it.</summary>
    private void Enter()
    {
        if (++nesting > MaxNesting)
        {
            throw Error($"filter nested too deeply (more than {MaxNesting} levels of filters, parentheses and negations)");
        }
    }

    private void Leave() => nesting--;

    private PathSegment ReadAfterDot(bool inFilter)
    {
        if (AtEnd)
        {
            throw Error("expected a name after '.'");
        }

        if (Current == '*')
        {
            pos++;
            return new WildcardSegment();
        }

        return Current == '[' ? ReadBracket() : new PropertySegment(ReadName(inFilter));
    }

    private string ReadName(bool inFilter)
    {
        var start = pos;
        while (!AtEnd && !EndsName(Current, inFilter))
        {
            pos++;
        }

        if (pos == start)
        {
            throw AtEnd ? Error("expected a name") : Error($"unexpected '{Current}'");
        }

        if (!AtEnd && Current == '(')
        {
            throw Error("functions such as length() are not supported");
        }

        return text[start..pos];
    }

    private static bool EndsName(char c, bool inFilter) => c switch
    {
        '.' or '[' or ']' or '(' or ')' or '*' => true,
        '=' or '!' or '<' or '>' or '&' or '|' or ',' or '\'' or '"' => inFilter,
        _ => char.IsWhiteSpace(c),
    };

    private PathSegment ReadBracket()
    {
        pos++; // '['
        SkipWhitespace();
        if (AtEnd)
        {
            throw Error("expected ']'");
        }

        PathSegment segment;
        switch (Current)
        {
            case '*':
                pos++;
                segment = new WildcardSegment();
                break;
            case '?':
                pos++;
                segment = new FilterSegment(ReadFilter());
                break;
            case '\'' or '"':
                segment = ReadNames();
                break;
            case '-' or ':' or (>= '0' and <= '9'):
                segment = ReadIndices();
                break;
            default:
                throw Error("expected a quoted name, an index, a slice, '*' or a filter");
        }

        SkipWhitespace();
        Expect(']');
        return segment;
    }

    private PathSegment ReadNames()
    {
        var names = new List<string> { ReadQuoted() };
        SkipWhitespace();
        while (!AtEnd && Current == ',')
        {
            pos++;
            SkipWhitespace();
            if (AtEnd || (Current != '\'' && Current != '"'))
            {
                throw Error("expected a quoted name");
            }

            names.Add(ReadQuoted());
            SkipWhitespace();
        }

        return names.Count == 1 ? new PropertySegment(names[0]) : new MultiPropertySegment([.. names]);
    }

    private string ReadQuoted()
    {
        var quote = Current;
        var start = pos;
        pos++;
        var builder = new StringBuilder();
        while (!AtEnd && Current != quote)
        {
            if (Current == '\\' && pos + 1 < text.Length)
            {
                pos++;
            }

            builder.Append(Current);
            pos++;
        }

        if (AtEnd)
        {
            pos = start;
            throw Error("unterminated quoted string");
        }

        pos++; // closing quote
        return builder.ToString();
    }

    private PathSegment ReadIndices()
    {
        var first = ReadOptionalInt();
        SkipWhitespace();
        if (!AtEnd && Current == ':')
        {
            pos++;
            SkipWhitespace();
            var end = ReadOptionalInt();
            SkipWhitespace();
            if (!AtEnd && Current == ':')
            {
                throw Error("slice steps are not supported");
            }

            return new SliceSegment(first, end);
        }

        if (first is not { } index)
        {
            throw Error("expected an index");
        }

        var indices = new List<int> { index };
        while (!AtEnd && Current == ',')
        {
            pos++;
            SkipWhitespace();
            indices.Add(ReadOptionalInt() ?? throw Error("expected an index"));
            SkipWhitespace();
        }

        return indices.Count == 1 ? new IndexSegment(index) : new IndexUnionSegment([.. indices]);
    }

    private int? ReadOptionalInt()
    {
        var start = pos;
        if (!AtEnd && Current == '-')
        {
            pos++;
        }

        var digitsStart = pos;
        while (!AtEnd && char.IsAsciiDigit(Current))
        {
            pos++;
        }

        if (pos == digitsStart)
        {
            if (pos != start)
            {
                throw Error("expected a digit");
            }

            return null;
        }

        if (!int.TryParse(text.AsSpan(start, pos - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            pos = start;
            throw Error("index out of range");
        }

        return value;
    }

    // ---- filters: ?( or-expression )

    private FilterExpression ReadFilter()
    {
        SkipWhitespace();
        Expect('(');
        var filter = ReadOr();
        SkipWhitespace();
        Expect(')');
        return filter;
    }

    // a || b || c is one OrFilter of three (likewise &&): a chain of thousands does not nest thousands deep.
    private FilterExpression ReadOr()
    {
        Enter();
        var alternatives = new List<FilterExpression> { ReadAnd() };
        while (TryRead("||"))
        {
            alternatives.Add(ReadAnd());
        }

        Leave();
        return alternatives.Count == 1 ? alternatives[0] : new OrFilter([.. alternatives]);
    }

    private FilterExpression ReadAnd()
    {
        var conditions = new List<FilterExpression> { ReadUnary() };
        while (TryRead("&&"))
        {
            conditions.Add(ReadUnary());
        }

        return conditions.Count == 1 ? conditions[0] : new AndFilter([.. conditions]);
    }

    private FilterExpression ReadUnary()
    {
        SkipWhitespace();
        if (!AtEnd && Current == '!' && !(pos + 1 < text.Length && text[pos + 1] == '='))
        {
            pos++;
            Enter();
            var negated = ReadUnary();
            Leave();
            return new NotFilter(negated);
        }

        if (!AtEnd && Current == '(')
        {
            pos++;
            var inner = ReadOr();
            SkipWhitespace();
            Expect(')');
            return inner;
        }

        var left = ReadOperand();
        SkipWhitespace();
        if (ReadOperator() is not { } op)
        {
            return left is PathOperand path ? new ExistsFilter(path) : throw Error("expected a comparison operator");
        }

        return new ComparisonFilter(left, op, ReadOperand());
    }

    private ComparisonOperator? ReadOperator()
    {
        if (TryRead("==")) { return ComparisonOperator.Equal; }
        if (TryRead("!=")) { return ComparisonOperator.NotEqual; }
        if (TryRead("<=")) { return ComparisonOperator.LessOrEqual; }
        if (TryRead(">=")) { return ComparisonOperator.GreaterOrEqual; }
        if (TryRead("<")) { return ComparisonOperator.Less; }
        if (TryRead(">")) { return ComparisonOperator.Greater; }
        if (!AtEnd && (Current == '=' || Current == '~'))
        {
            throw Error("unsupported operator (use ==, !=, <, <=, >, >=)");
        }

        return null;
    }

    private FilterOperand ReadOperand()
    {
        SkipWhitespace();
        if (AtEnd)
        {
            throw Error("expected a value");
        }

        var c = Current;
        if (c is '@' or '$')
        {
            var start = pos;
            pos++;
            var segments = new List<PathSegment>();
            ReadSegments(segments, inFilter: true);
            return new PathOperand(new JsonPath(text[start..pos], [.. segments]), absolute: c == '$');
        }

        if (c is '\'' or '"')
        {
            return new LiteralOperand(JsonValue.Create(ReadQuoted()));
        }

        if (c == '-' || char.IsAsciiDigit(c))
        {
            return new LiteralOperand(ReadNumber());
        }

        if (char.IsAsciiLetter(c))
        {
            var start = pos;
            while (!AtEnd && char.IsAsciiLetter(Current))
            {
                pos++;
            }

            switch (text[start..pos])
            {
                case "true": return new LiteralOperand(JsonValue.Create(true));
                case "false": return new LiteralOperand(JsonValue.Create(false));
                case "null": return new LiteralOperand(null);
                default:
                    pos = start;
                    throw Error("expected a value ('text', a number, true, false, null, @.path or $.path)");
            }
        }

        throw Error("expected a value");
    }

    private JsonValue ReadNumber()
    {
        var start = pos;
        if (Current == '-')
        {
            pos++;
        }

        while (!AtEnd && (char.IsAsciiDigit(Current) || Current is '.' or 'e' or 'E' or '+' or '-'))
        {
            pos++;
        }

        if (!double.TryParse(text.AsSpan(start, pos - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            || !double.IsFinite(number))
        {
            pos = start;
            throw Error("bad number");
        }

        return JsonValue.Create(number);
    }

    private bool TryRead(string token)
    {
        SkipWhitespace();
        if (string.CompareOrdinal(text, pos, token, 0, token.Length) == 0)
        {
            pos += token.Length;
            return true;
        }

        return false;
    }

    private void Expect(char c)
    {
        if (AtEnd || Current != c)
        {
            throw Error($"expected '{c}'");
        }

        pos++;
    }

    private void SkipWhitespace()
    {
        while (!AtEnd && char.IsWhiteSpace(Current))
        {
            pos++;
        }
    }

    private JsonPathSyntaxException Error(string reason) => new(text, reason, pos);
}
