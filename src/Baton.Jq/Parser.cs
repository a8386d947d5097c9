using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Baton.Jq;

/// <summary>Recursive descent over jq 1.6's grammar, with precedence levels as jq's yacc grammar declares them. Bounded:
/// the text's length and the nesting depth are checked, and pipes, commas, object entries and definitions are lists,
/// not nested nodes, so a long program is not a deep one.</summary>
internal sealed class Parser
{
    private enum T { Eof, Ident, Field, Var, Format, Num, Quote, Punct }

    private readonly struct Tok(T kind, string text, int pos, int end, double num = 0)
    {
        public readonly T Kind = kind;
        public readonly string Text = text;
        public readonly int Pos = pos;
        public readonly int End = end;
        public readonly double Num = num;
    }

    private static readonly HashSet<string> Keywords =
        ["def", "if", "then", "elif", "else", "end", "as", "reduce", "foreach", "try", "catch", "label", "import", "include", "and", "or", "break", "__loc__"];

    private static readonly string[] Puncts =
        ["?//", "|=", "+=", "-=", "*=", "/=", "%=", "//=", "==", "!=", "<=", ">=", "//", "..", ".", "[", "]", "{", "}", "(", ")", "|", ",", ":", ";", "=", "<", ">", "+", "-", "*", "/", "%", "?"];

    private readonly string _src;
    private readonly int _maxDepth;
    private int _pos;
    private int _depth;
    private Tok _tok;

    private Parser(string src, int maxDepth)
    {
        _src = src;
        _maxDepth = maxDepth;
    }

    public static Ast Parse(string source, JqLimits limits)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Length > limits.MaxSourceLength)
            throw new JqParseException($"program is longer than {limits.MaxSourceLength} characters", 1, 1);
        var p = new Parser(source, limits.MaxNestingDepth);
        p.Advance();
        if (p._tok.Kind == T.Eof) return new IdentityAst(0);
        var ast = p.ParsePipe();
        if (p._tok.Kind != T.Eof) throw p.Unexpected("end of program");
        return ast;
    }

    // ---- errors and positions ------------------------------------------------------------------------------------

    public static (int Line, int Column) Position(string src, int pos)
    {
        int line = 1, col = 1;
        for (var i = 0; i < pos && i < src.Length; i++)
        {
            if (src[i] == '\n') { line++; col = 1; } else col++;
        }
        return (line, col);
    }

    private JqParseException Error(string reason, int pos)
    {
        var (line, col) = Position(_src, pos);
        return new JqParseException(reason, line, col);
    }

    private JqParseException Unexpected(string expected)
    {
        var what = _tok.Kind switch
        {
            T.Eof => "end of program",
            T.Quote => "string",
            _ => $"'{_tok.Text}'",
        };
        return Error($"syntax error: unexpected {what}, expected {expected}", _tok.Pos);
    }

    private void Enter()
    {
        if (++_depth > _maxDepth) throw Error($"program nested more than {_maxDepth} levels deep", _tok.Pos);
    }

    private void Exit(int n = 1) => _depth -= n;

    // ---- tokens --------------------------------------------------------------------------------------------------

    private bool IsPunct(string p) => _tok.Kind == T.Punct && _tok.Text == p;

    private bool IsKeyword(string k) => _tok.Kind == T.Ident && _tok.Text == k;

    private void Expect(string p)
    {
        if (!IsPunct(p)) throw Unexpected($"'{p}'");
        Advance();
    }

    private void ExpectKeyword(string k)
    {
        if (!IsKeyword(k)) throw Unexpected($"'{k}'");
        Advance();
    }

    private static bool IdentStart(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_';

    private static bool IdentChar(char c) => IdentStart(c) || char.IsAsciiDigit(c);

    private int ScanIdent(int i)
    {
        while (true)
        {
            while (i < _src.Length && IdentChar(_src[i])) i++;
            if (i + 2 < _src.Length && _src[i] == ':' && _src[i + 1] == ':' && IdentStart(_src[i + 2])) { i += 2; continue; }
            return i;
        }
    }

    private void Advance()
    {
        var i = _pos;
        while (i < _src.Length)
        {
            var c = _src[i];
            if (c is ' ' or '\t' or '\n' or '\r') { i++; continue; }
            if (c == '#')
            {
                while (i < _src.Length && _src[i] != '\n') i++;
                continue;
            }
            break;
        }
        if (i >= _src.Length) { Set(T.Eof, "", i, i); return; }
        var ch = _src[i];
        if (ch == '"') { Set(T.Quote, "\"", i, i + 1); return; }
        if (IdentStart(ch)) { var e = ScanIdent(i); Set(T.Ident, _src[i..e], i, e); return; }
        if (ch == '.' && i + 1 < _src.Length && IdentStart(_src[i + 1])) { var e = ScanIdent(i + 1); Set(T.Field, _src[(i + 1)..e], i, e); return; }
        if (char.IsAsciiDigit(ch) || (ch == '.' && i + 1 < _src.Length && char.IsAsciiDigit(_src[i + 1]))) { ScanNumber(i); return; }
        if (ch == '$')
        {
            var j = i + 1;
            while (j < _src.Length && _src[j] is ' ' or '\t' or '\n' or '\r') j++;
            if (j < _src.Length && IdentStart(_src[j])) { var e = ScanIdent(j); Set(T.Var, _src[j..e], i, e); return; }
            throw Error("syntax error: '$' must be followed by a variable name", i);
        }
        if (ch == '@')
        {
            var e = i + 1;
            while (e < _src.Length && IdentChar(_src[e])) e++;
            if (e == i + 1) throw Error("syntax error: '@' must be followed by a format name", i);
            Set(T.Format, _src[(i + 1)..e], i, e);
            return;
        }
        foreach (var p in Puncts)
        {
            if (string.CompareOrdinal(_src, i, p, 0, p.Length) == 0) { Set(T.Punct, p, i, i + p.Length); return; }
        }
        throw Error($"syntax error: unexpected character '{ch}'", i);
    }

    private void Set(T kind, string text, int pos, int end, double num = 0)
    {
        _tok = new Tok(kind, text, pos, end, num);
        _pos = end;
    }

    private void ScanNumber(int i)
    {
        var j = i;
        while (j < _src.Length && char.IsAsciiDigit(_src[j])) j++;
        if (j < _src.Length && _src[j] == '.') { j++; while (j < _src.Length && char.IsAsciiDigit(_src[j])) j++; }
        if (j < _src.Length && _src[j] is 'e' or 'E')
        {
            var k = j + 1;
            if (k < _src.Length && _src[k] is '+' or '-') k++;
            if (k < _src.Length && char.IsAsciiDigit(_src[k]))
            {
                while (k < _src.Length && char.IsAsciiDigit(_src[k])) k++;
                j = k;
            }
        }
        var text = _src[i..j];
        var d = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        Set(T.Num, text, i, j, d);
    }

    // ---- expressions ---------------------------------------------------------------------------------------------

    private Ast ParsePipe()
    {
        Enter();
        var start = _tok.Pos;
        var first = ParseComma();
        if (!IsPunct("|")) { Exit(); return first; }
        var stages = new List<Ast> { first };
        while (IsPunct("|"))
        {
            Advance();
            stages.Add(ParseComma());
        }
        Exit();
        return new PipeAst(start, [.. stages]);
    }

    private Ast ParseComma()
    {
        var start = _tok.Pos;
        var first = ParseAlt();
        if (!IsPunct(",")) return first;
        var items = new List<Ast> { first };
        while (IsPunct(","))
        {
            Advance();
            items.Add(ParseAlt());
        }
        return new CommaAst(start, [.. items]);
    }

    private Ast ParseAlt()
    {
        Enter();
        var start = _tok.Pos;
        var left = ParseAssign();
        if (IsPunct("//"))
        {
            Advance();
            left = new AltAst(start, left, ParseAlt());
        }
        Exit();
        return left;
    }

    private static readonly HashSet<string> AssignOps = ["=", "|=", "+=", "-=", "*=", "/=", "%=", "//="];

    private Ast ParseAssign()
    {
        var start = _tok.Pos;
        var left = ParseOr();
        if (_tok.Kind == T.Punct && AssignOps.Contains(_tok.Text))
        {
            var op = _tok.Text;
            Advance();
            Enter();
            var right = ParseOr();
            Exit();
            if (_tok.Kind == T.Punct && AssignOps.Contains(_tok.Text)) throw Unexpected("an expression (assignments do not chain)");
            return new AssignAst(start, op, left, right);
        }
        return left;
    }

    private Ast ParseOr()
    {
        var start = _tok.Pos;
        var left = ParseAnd();
        var n = 0;
        while (IsKeyword("or"))
        {
            Advance();
            Enter(); n++;
            left = new OrAst(start, left, ParseAnd());
        }
        Exit(n);
        return left;
    }

    private Ast ParseAnd()
    {
        var start = _tok.Pos;
        var left = ParseCompare();
        var n = 0;
        while (IsKeyword("and"))
        {
            Advance();
            Enter(); n++;
            left = new AndAst(start, left, ParseCompare());
        }
        Exit(n);
        return left;
    }

    private static readonly HashSet<string> CompareOps = ["==", "!=", "<", "<=", ">", ">="];

    private Ast ParseCompare()
    {
        var start = _tok.Pos;
        var left = ParseAdditive();
        if (_tok.Kind == T.Punct && CompareOps.Contains(_tok.Text))
        {
            var op = _tok.Text;
            Advance();
            Enter();
            left = new BinaryAst(start, op, left, ParseAdditive());
            Exit();
            if (_tok.Kind == T.Punct && CompareOps.Contains(_tok.Text)) throw Unexpected("an operator other than a comparison (comparisons do not chain)");
        }
        return left;
    }

    private Ast ParseAdditive()
    {
        var start = _tok.Pos;
        var left = ParseMultiplicative();
        var n = 0;
        while (IsPunct("+") || IsPunct("-"))
        {
            var op = _tok.Text;
            Advance();
            Enter(); n++;
            left = new BinaryAst(start, op, left, ParseMultiplicative());
        }
        Exit(n);
        return left;
    }

    private Ast ParseMultiplicative()
    {
        var start = _tok.Pos;
        var left = ParseUnary();
        var n = 0;
        while (IsPunct("*") || IsPunct("/") || IsPunct("%"))
        {
            var op = _tok.Text;
            Advance();
            Enter(); n++;
            left = new BinaryAst(start, op, left, ParseUnary());
        }
        Exit(n);
        return left;
    }

    private Ast ParseUnary()
    {
        if (IsPunct("-"))
        {
            var start = _tok.Pos;
            Advance();
            Enter();
            var operand = ParseMultiplicative();
            Exit();
            return new NegAst(start, operand);
        }
        return ParsePostfix(allowAs: true);
    }

    private Ast ParsePostfix(bool allowAs)
    {
        Enter();
        var start = _tok.Pos;
        var t = ParsePrimary();
        var stepped = t is IndexAst or SliceAst or IterateAst;
        var n = 0;
        while (true)
        {
            if (_tok.Kind == T.Field)
            {
                t = new IndexAst(_tok.Pos, t, new LiteralAst(_tok.Pos, JsonValue.Create(_tok.Text)));
                Advance();
            }
            else if (IsPunct(".") && _pos < _src.Length && _src[_pos] == '"')
            {
                Advance();
                t = new IndexAst(start, t, ParseString(null));
            }
            else if (IsPunct(".") && _pos < _src.Length && _src[_pos] == '[')
            {
                Advance();
                continue;
            }
            else if (IsPunct("["))
            {
                t = ParseBracket(t);
            }
            else if (IsPunct("?"))
            {
                // jq 1.6: "?" right after an index step makes that step optional; after anything else it is try.
                t = t switch
                {
                    IndexAst { Optional: false } ix when stepped => ix with { Optional = true },
                    SliceAst { Optional: false } sl when stepped => sl with { Optional = true },
                    IterateAst { Optional: false } it when stepped => it with { Optional = true },
                    _ => new TryAst(start, t, null),
                };
                stepped = false;
                Advance();
                Enter(); n++;
                continue;
            }
            else break;
            stepped = true;
            Enter(); n++;
        }
        Exit(n);
        if (allowAs && IsKeyword("as"))
        {
            Advance();
            var pattern = ParsePattern();
            if (IsPunct("?//")) throw Error("destructuring alternatives (?//) are not supported", _tok.Pos);
            Expect("|");
            var body = ParsePipe();
            t = new BindAst(start, t, pattern, body);
        }
        Exit();
        return t;
    }

    private Ast ParseBracket(Ast target)
    {
        var start = _tok.Pos;
        Advance();
        if (IsPunct("]")) { Advance(); return new IterateAst(start, target); }
        if (IsPunct(":"))
        {
            Advance();
            var to = ParsePipe();
            Expect("]");
            return new SliceAst(start, target, null, to);
        }
        var e = ParsePipe();
        if (IsPunct(":"))
        {
            Advance();
            if (IsPunct("]")) { Advance(); return new SliceAst(start, target, e, null); }
            var to = ParsePipe();
            Expect("]");
            return new SliceAst(start, target, e, to);
        }
        Expect("]");
        return new IndexAst(start, target, e);
    }

    private Ast ParsePrimary()
    {
        var start = _tok.Pos;
        switch (_tok.Kind)
        {
            case T.Field:
                {
                    var name = _tok.Text;
                    Advance();
                    return new IndexAst(start, new IdentityAst(start), new LiteralAst(start, JsonValue.Create(name)));
                }
            case T.Num:
                {
                    var d = _tok.Num;
                    Advance();
                    return new LiteralAst(start, JsonValue.Create(d));
                }
            case T.Quote:
                return ParseString(null);
            case T.Format:
                {
                    var name = _tok.Text;
                    Advance();
                    return _tok.Kind == T.Quote ? ParseString(name) : new FormatAst(start, name);
                }
            case T.Var:
                {
                    var name = _tok.Text;
                    Advance();
                    return name == "__loc__" ? Loc(start) : new VarAst(start, name);
                }
            case T.Punct:
                switch (_tok.Text)
                {
                    case ".":
                        Advance();
                        if (_tok.Kind == T.Quote && _tok.Pos == start + 1)
                            return new IndexAst(start, new IdentityAst(start), ParseString(null));
                        return new IdentityAst(start);
                    case "..":
                        Advance();
                        return new RecurseAst(start);
                    case "(":
                        {
                            Advance();
                            var e = ParsePipe();
                            Expect(")");
                            return e;
                        }
                    case "[":
                        {
                            Advance();
                            if (IsPunct("]")) { Advance(); return new ArrayAst(start, null); }
                            var e = ParsePipe();
                            Expect("]");
                            return new ArrayAst(start, e);
                        }
                    case "{":
                        return ParseObject();
                    case "-":
                        {
                            Advance();
                            return new NegAst(start, ParsePostfix(allowAs: false));
                        }
                    default:
                        throw Unexpected("an expression");
                }
            case T.Ident:
                return ParseIdent();
            default:
                throw Unexpected("an expression");
        }
    }

    private LiteralAst Loc(int pos) =>
        new(pos, new JsonObject { ["file"] = "<top-level>", ["line"] = Position(_src, pos).Line });

    private Ast ParseIdent()
    {
        var start = _tok.Pos;
        var name = _tok.Text;
        switch (name)
        {
            case "if": return ParseIf();
            case "try":
                {
                    Advance();
                    var body = ParsePostfix(allowAs: false);
                    Ast? handler = null;
                    if (IsKeyword("catch"))
                    {
                        Advance();
                        handler = ParsePostfix(allowAs: false);
                    }
                    return new TryAst(start, body, handler);
                }
            case "reduce":
            case "foreach":
                {
                    Advance();
                    var source = ParsePostfix(allowAs: false);
                    ExpectKeyword("as");
                    var pattern = ParsePattern();
                    Expect("(");
                    var init = ParsePipe();
                    Expect(";");
                    var update = ParsePipe();
                    Ast? extract = null;
                    if (name == "foreach" && IsPunct(";"))
                    {
                        Advance();
                        extract = ParsePipe();
                    }
                    Expect(")");
                    return name == "reduce"
                        ? new ReduceAst(start, source, pattern, init, update)
                        : new ForeachAst(start, source, pattern, init, update, extract);
                }
            case "label":
                {
                    Advance();
                    if (_tok.Kind != T.Var) throw Unexpected("a label name ($name)");
                    var label = _tok.Text;
                    Advance();
                    Expect("|");
                    return new LabelAst(start, label, ParsePipe());
                }
            case "break":
                {
                    Advance();
                    if (_tok.Kind != T.Var) throw Unexpected("a label name ($name)");
                    var label = _tok.Text;
                    Advance();
                    return new BreakAst(start, label);
                }
            case "def":
                {
                    var defs = new List<FuncDef>();
                    while (IsKeyword("def")) defs.Add(ParseDef());
                    return new DefsAst(start, [.. defs], ParsePipe());
                }
            case "import":
            case "include":
                throw Error("modules (import, include) are not supported", start);
        }
        if (Keywords.Contains(name)) throw Unexpected("an expression");
        Advance();
        if (name is "null" or "true" or "false" && !IsPunct("("))
            return new LiteralAst(start, name == "null" ? null : JsonValue.Create(name == "true"));
        var args = new List<Ast>();
        if (IsPunct("("))
        {
            Advance();
            args.Add(ParsePipe());
            while (IsPunct(";"))
            {
                Advance();
                args.Add(ParsePipe());
            }
            Expect(")");
        }
        return new CallAst(start, name, [.. args]);
    }

    private FuncDef ParseDef()
    {
        var start = _tok.Pos;
        Advance();
        if (_tok.Kind != T.Ident || Keywords.Contains(_tok.Text)) throw Unexpected("a function name");
        var name = _tok.Text;
        Advance();
        var parameters = new List<string>();
        if (IsPunct("("))
        {
            Advance();
            while (true)
            {
                if (_tok.Kind == T.Var) parameters.Add("$" + _tok.Text);
                else if (_tok.Kind == T.Ident && !Keywords.Contains(_tok.Text)) parameters.Add(_tok.Text);
                else throw Unexpected("a parameter name");
                Advance();
                if (IsPunct(";")) { Advance(); continue; }
                Expect(")");
                break;
            }
        }
        Expect(":");
        var body = ParsePipe();
        Expect(";");
        return new FuncDef(start, name, [.. parameters], body);
    }

    private IfAst ParseIf()
    {
        var start = _tok.Pos;
        Advance();
        var cond = ParsePipe();
        ExpectKeyword("then");
        var then = ParsePipe();
        Ast otherwise;
        if (IsKeyword("elif"))
        {
            Enter();
            otherwise = ParseIf();
            Exit();
            return new IfAst(start, cond, then, otherwise);
        }
        if (!IsKeyword("else")) throw Unexpected("'elif' or 'else' (jq 1.6 requires an else branch)");
        Advance();
        otherwise = ParsePipe();
        ExpectKeyword("end");
        return new IfAst(start, cond, then, otherwise);
    }

    // ParseIf is entered at "if" or at "elif": both start the same way, and an elif chain shares the one "end".

    private ObjectAst ParseObject()
    {
        var start = _tok.Pos;
        Advance();
        var entries = new List<ObjectEntry>();
        while (!IsPunct("}"))
        {
            var at = _tok.Pos;
            Ast key;
            Ast value;
            switch (_tok.Kind)
            {
                case T.Var:
                    {
                        var name = _tok.Text;
                        Advance();
                        key = new LiteralAst(at, JsonValue.Create(name));
                        value = name == "__loc__" ? Loc(at) : new VarAst(at, name);
                        if (IsPunct(":")) throw Unexpected("',' or '}'");
                        break;
                    }
                case T.Ident:
                    {
                        var name = _tok.Text;
                        Advance();
                        key = new LiteralAst(at, JsonValue.Create(name));
                        if (IsPunct(":")) { Advance(); value = ParseObjectValue(); }
                        else if (Keywords.Contains(name)) throw Unexpected("':' after a keyword used as a key");
                        else value = new IndexAst(at, new IdentityAst(at), key);
                        break;
                    }
                case T.Quote:
                case T.Format:
                    {
                        string? format = null;
                        if (_tok.Kind == T.Format)
                        {
                            format = _tok.Text;
                            Advance();
                            if (_tok.Kind != T.Quote) throw Unexpected("a string after the format");
                        }
                        key = ParseString(format);
                        if (IsPunct(":")) { Advance(); value = ParseObjectValue(); }
                        else value = new IndexAst(at, new IdentityAst(at), key);
                        break;
                    }
                case T.Punct when _tok.Text == "(":
                    {
                        Advance();
                        key = ParsePipe();
                        Expect(")");
                        Expect(":");
                        value = ParseObjectValue();
                        break;
                    }
                default:
                    throw Unexpected("an object key");
            }
            entries.Add(new ObjectEntry(key, value));
            if (IsPunct(",")) { Advance(); continue; }
            if (!IsPunct("}")) throw Unexpected("',' or '}'");
        }
        Advance();
        return new ObjectAst(start, [.. entries]);
    }

    /// <summary>
    /// An object value: jq 1.6's ExpD (a term, a negated one, terms joined by pipes) widened, as jackson-jq (the jq
    /// Conductor runs) widens it, to any operator short of a comma (<c>{a: .x // "d", b: .y + 1}</c>). Every
    /// program jq 1.6 accepts parses the same; docs/jq.md lists it among the differences.
    /// </summary>
    private Ast ParseObjectValue()
    {
        Enter();
        var start = _tok.Pos;
        var v = ParseAlt();
        if (IsPunct("|"))
        {
            Advance();
            v = new PipeAst(start, [v, ParseObjectValue()]);
        }
        Exit();
        return v;
    }

    private Pattern ParsePattern()
    {
        Enter();
        var start = _tok.Pos;
        Pattern result;
        if (_tok.Kind == T.Var)
        {
            result = new VarPattern(start, _tok.Text);
            Advance();
        }
        else if (IsPunct("["))
        {
            Advance();
            var items = new List<Pattern>();
            if (IsPunct("]")) throw Unexpected("a pattern");
            while (true)
            {
                items.Add(ParsePattern());
                if (IsPunct(",")) { Advance(); continue; }
                Expect("]");
                break;
            }
            result = new ArrayPattern(start, [.. items]);
        }
        else if (IsPunct("{"))
        {
            Advance();
            var entries = new List<ObjectPatternEntry>();
            while (true)
            {
                var at = _tok.Pos;
                if (_tok.Kind == T.Var)
                {
                    var name = _tok.Text;
                    Advance();
                    Pattern? value = null;
                    if (IsPunct(":")) { Advance(); value = ParsePattern(); }
                    entries.Add(new ObjectPatternEntry(name, new LiteralAst(at, JsonValue.Create(name)), value));
                }
                else if (_tok.Kind == T.Ident)
                {
                    var name = _tok.Text;
                    Advance();
                    Expect(":");
                    entries.Add(new ObjectPatternEntry(null, new LiteralAst(at, JsonValue.Create(name)), ParsePattern()));
                }
                else if (_tok.Kind == T.Quote || _tok.Kind == T.Format)
                {
                    string? format = null;
                    if (_tok.Kind == T.Format) { format = _tok.Text; Advance(); }
                    var key = ParseString(format);
                    Expect(":");
                    entries.Add(new ObjectPatternEntry(null, key, ParsePattern()));
                }
                else if (IsPunct("("))
                {
                    Advance();
                    var key = ParsePipe();
                    Expect(")");
                    Expect(":");
                    entries.Add(new ObjectPatternEntry(null, key, ParsePattern()));
                }
                else throw Unexpected("an object pattern entry");
                if (IsPunct(",")) { Advance(); continue; }
                Expect("}");
                break;
            }
            result = new ObjectPattern(start, [.. entries]);
        }
        else throw Unexpected("a pattern ($name, [...] or {...})");
        Exit();
        return result;
    }

    // ---- strings -------------------------------------------------------------------------------------------------

    /// <summary>At a Quote token: reads the string's characters directly, parsing each \( ... ) as an expression.</summary>
    private Ast ParseString(string? format)
    {
        Enter();
        var start = _tok.Pos;
        var parts = new List<object>();
        var sb = new StringBuilder();
        var i = _tok.End;
        while (true)
        {
            if (i >= _src.Length) throw Error("unterminated string", start);
            var c = _src[i];
            if (c == '"') { i++; break; }
            if (c != '\\') { sb.Append(c); i++; continue; }
            if (i + 1 >= _src.Length) throw Error("unterminated string", start);
            var e = _src[i + 1];
            switch (e)
            {
                case '"': case '\\': case '/': sb.Append(e); i += 2; break;
                case 'b': sb.Append('\b'); i += 2; break;
                case 'f': sb.Append('\f'); i += 2; break;
                case 'n': sb.Append('\n'); i += 2; break;
                case 'r': sb.Append('\r'); i += 2; break;
                case 't': sb.Append('\t'); i += 2; break;
                case 'u':
                    {
                        var cp = Hex4(i + 2);
                        i += 6;
                        if (cp is >= 0xD800 and < 0xDC00 && i + 5 < _src.Length && _src[i] == '\\' && _src[i + 1] == 'u')
                        {
                            var lo = Hex4(i + 2);
                            if (lo is >= 0xDC00 and < 0xE000)
                            {
                                sb.Append((char)cp).Append((char)lo);
                                i += 6;
                                break;
                            }
                        }
                        sb.Append(cp is >= 0xD800 and < 0xE000 ? '\uFFFD' : (char)cp);
                        break;
                    }
                case '(':
                    {
                        if (sb.Length > 0) { parts.Add(sb.ToString()); sb.Clear(); }
                        _pos = i + 2;
                        Advance();
                        parts.Add(ParsePipe());
                        if (!IsPunct(")")) throw Unexpected("')' to close the interpolation");
                        i = _tok.End;
                        break;
                    }
                default:
                    throw Error($"invalid escape '\\{e}' in string", i);
            }
        }
        if (sb.Length > 0 || parts.Count == 0) parts.Add(sb.ToString());
        _pos = i;
        Advance();
        Exit();
        if (format is null && parts.Count == 1 && parts[0] is string s) return new LiteralAst(start, JsonValue.Create(s));
        return new StringAst(start, [.. parts], format);
    }

    private int Hex4(int i)
    {
        if (i + 4 > _src.Length) throw Error("invalid \\u escape", i);
        var v = 0;
        for (var j = i; j < i + 4; j++)
        {
            var c = _src[j];
            var d = char.IsAsciiDigit(c) ? c - '0' : c is >= 'a' and <= 'f' ? c - 'a' + 10 : c is >= 'A' and <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) throw Error("invalid \\u escape", i);
            v = v * 16 + d;
        }
        return v;
    }
}
