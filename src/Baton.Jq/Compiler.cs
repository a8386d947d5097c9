using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;

namespace Baton.Jq;

/// <summary>A function known to the compiler: jq-defined (builtin or the program's) or native.</summary>
internal sealed class FuncInfo(string name, string[] parameters, bool global)
{
    public readonly string Name = name;
    public readonly string[] Params = parameters;
    public readonly bool Global = global;
    public Filter? Body;
}

/// <summary>Thrown by a downstream consumer through a try body; unwrapped (rethrown as is) by the try that wrapped it.</summary>
internal sealed class Downstream(JqError inner, int owner) : Exception("downstream error")
{
    public readonly JqError Inner = inner;
    public readonly int Owner = owner;
}

/// <summary>halt_error: ends the run with an error that try cannot catch.</summary>
internal sealed class HaltError(JsonNode? value) : Exception("halt_error")
{
    public readonly JsonNode? Value = value;
}

/// <summary>Turns the syntax tree into closures. Names are resolved here, once: a variable or a local function becomes a
/// fixed position in the run-time scope, a builtin a direct reference.</summary>
internal sealed class Compiler
{
    private enum Kind { Var, Closure, Func, Label }

    private sealed class Scope(Scope? next, Kind kind, string name, FuncInfo? func = null)
    {
        public readonly Scope? Next = next;
        public readonly Kind Kind = kind;
        public readonly string Name = name;
        public readonly FuncInfo? Func = func;
    }

    private readonly string _source;
    private readonly Dictionary<string, FuncInfo> _globals;
    private readonly HashSet<string>? _freeVariables;
    private readonly bool _defineGlobals;

    private Compiler(string source, Dictionary<string, FuncInfo> globals, HashSet<string>? freeVariables, bool defineGlobals)
    {
        _source = source;
        _globals = globals;
        _freeVariables = freeVariables;
        _defineGlobals = defineGlobals;
    }

    /// <summary>Compiles a user program. freeVariables: the names the caller will bind; null allows any (checked at run time).</summary>
    public static Filter CompileProgram(string source, Ast ast, Dictionary<string, FuncInfo> globals, HashSet<string>? freeVariables) =>
        new Compiler(source, globals, freeVariables, false).Compile(ast, null);

    /// <summary>Compiles the builtin library: its top-level definitions become globals.</summary>
    public static void CompileBuiltins(string source, Ast ast, Dictionary<string, FuncInfo> globals)
    {
        var c = new Compiler(source, globals, [], true);
        if (ast is not DefsAst defs) throw new InvalidOperationException("builtins must be definitions");
        foreach (var d in defs.Defs)
        {
            var info = new FuncInfo(d.Name, d.Params, global: true);
            globals[$"{d.Name}/{d.Params.Length}"] = info;
            info.Body = c.CompileFuncBody(d, info, null);
        }
    }

    private JqParseException Error(string reason, int pos)
    {
        var (line, col) = Parser.Position(_source, pos);
        return new JqParseException(reason, line, col);
    }

    private static Path? Np(Path? p) => p is null ? null : Path.NotAPath;

    // ---- expressions ---------------------------------------------------------------------------------------------

    private Filter Compile(Ast ast, Scope? scope)
    {
        switch (ast)
        {
            case IdentityAst:
                return static (c, e, v, p, k) => k(v, p);
            case RecurseAst:
                return CompileCall(new CallAst(ast.Pos, "recurse", []), scope);
            case LiteralAst lit:
                return CompileLiteral(lit.Value);
            case IndexAst ix:
                return CompileIndex(ix, scope);
            case SliceAst sl:
                return CompileSlice(sl, scope);
            case IterateAst it:
                {
                    var target = Compile(it.Target, scope);
                    if (it.Optional)
                        return (c, e, v, p, k) => target(c, e, v, p, (t, tp) => Optional(c, t, tp, k, static (c, t, tp, k) => Ops.Iterate(c, t, tp, k)));
                    if (it.Target is IdentityAst) return static (c, e, v, p, k) => Ops.Iterate(c, v, p, k);
                    return (c, e, v, p, k) => target(c, e, v, p, (t, tp) => Ops.Iterate(c, t, tp, k));
                }
            case TryAst t:
                return CompileTry(Compile(t.Body, scope), t.Catch is null ? null : Compile(t.Catch, scope));
            case PipeAst pipe:
                {
                    var stages = pipe.Stages.Select(s => Compile(s, scope)).ToArray();
                    var f = stages[^1];
                    for (var i = stages.Length - 2; i >= 0; i--) f = Compose(stages[i], f);
                    return f;
                }
            case CommaAst comma:
                {
                    var items = comma.Items.Select(s => Compile(s, scope)).ToArray();
                    return (c, e, v, p, k) =>
                    {
                        foreach (var f in items)
                            if (!f(c, e, v, p, k)) return false;
                        return true;
                    };
                }
            case NegAst neg:
                {
                    var operand = Compile(neg.Operand, scope);
                    return (c, e, v, p, k) => operand(c, e, v, null, (x, _) => k(Ops.Negate(x), Np(p)));
                }
            case BinaryAst bin:
                {
                    var left = Compile(bin.Left, scope);
                    var right = Compile(bin.Right, scope);
                    var op = bin.Op;
                    return (c, e, v, p, k) => right(c, e, v, null, (r, _) => left(c, e, v, null, (l, _) => k(Ops.Binary(c, op, l, r), Np(p))));
                }
            case AndAst and:
                {
                    var left = Compile(and.Left, scope);
                    var right = Compile(and.Right, scope);
                    return (c, e, v, p, k) => left(c, e, v, null, (l, _) =>
                        !Values.Truthy(l) ? k(Values.Bool(false), Np(p)) : right(c, e, v, null, (r, _) => k(Values.Bool(Values.Truthy(r)), Np(p))));
                }
            case OrAst or:
                {
                    var left = Compile(or.Left, scope);
                    var right = Compile(or.Right, scope);
                    return (c, e, v, p, k) => left(c, e, v, null, (l, _) =>
                        Values.Truthy(l) ? k(Values.Bool(true), Np(p)) : right(c, e, v, null, (r, _) => k(Values.Bool(Values.Truthy(r)), Np(p))));
                }
            case AltAst alt:
                return CompileAlternative(Compile(alt.Left, scope), Compile(alt.Right, scope));
            case IfAst iff:
                {
                    var cond = Compile(iff.Cond, scope);
                    var then = Compile(iff.Then, scope);
                    var otherwise = Compile(iff.Else, scope);
                    return (c, e, v, p, k) => cond(c, e, v, null, (x, _) => Values.Truthy(x) ? then(c, e, v, p, k) : otherwise(c, e, v, p, k));
                }
            case ArrayAst arr:
                {
                    if (arr.Body is null) return static (c, e, v, p, k) => k(new JsonArray(), Np(p));
                    var body = Compile(arr.Body, scope);
                    return (c, e, v, p, k) =>
                    {
                        var result = new JsonArray();
                        if (!body(c, e, v, null, (x, _) =>
                        {
                            c.CheckArray(result.Count + 1);
                            result.Add(Values.Attach(c, x));
                            return true;
                        })) return false;
                        return k(result, Np(p));
                    };
                }
            case ObjectAst obj:
                return CompileObject(obj, scope);
            case StringAst str:
                return CompileString(str, scope);
            case FormatAst fmt:
                {
                    var name = fmt.Name;
                    if (!Formats.IsKnown(name)) throw Error($"@{name} is not a valid format", fmt.Pos);
                    return (c, e, v, p, k) => k(Values.Str(Formats.Apply(c, name, v)), Np(p));
                }
            case VarAst va:
                return CompileVar(va, scope);
            case CallAst call:
                return CompileCall(call, scope);
            case DefsAst defs:
                return CompileDefs(defs, scope);
            case BindAst bind:
                return CompileBind(bind, scope);
            case ReduceAst red:
                return CompileReduce(red, scope);
            case ForeachAst fe:
                return CompileForeach(fe, scope);
            case LabelAst label:
                {
                    var body = Compile(label.Body, new Scope(scope, Kind.Label, label.Name));
                    return (c, e, v, p, k) =>
                    {
                        var token = c.NewToken();
                        var r = body(c, new Env(e, token), v, p, k);
                        return r || c.Claim(token);
                    };
                }
            case BreakAst br:
                {
                    var index = 0;
                    var s = scope;
                    while (s is not null && !(s.Kind == Kind.Label && s.Name == br.Name)) { s = s.Next; index++; }
                    if (s is null) throw Error($"$*label-{br.Name} is not defined", br.Pos);
                    return (c, e, v, p, k) =>
                    {
                        c.Stopping = (int)e!.Get(index).Value!;
                        return false;
                    };
                }
            case AssignAst asg:
                return CompileAssign(asg, scope);
            default:
                throw Error("unsupported expression", ast.Pos);
        }
    }

    /// <summary>a | b. Each stage of a long pipe (such as 20,000 "..|") runs inside the previous stage's continuation,
    /// so the stack is checked here: too deep is a limit error, never a stack overflow that ends the process.</summary>
    public static Filter Compose(Filter a, Filter b) => (c, e, v, p, k) => a(c, e, v, p, (x, xp) =>
        RuntimeHelpers.TryEnsureSufficientExecutionStack() ? b(c, e, x, xp, k) : throw new JqLimitError("the program's pipe is too long for the stack"));

    private static Filter CompileLiteral(JsonNode? value)
    {
        switch (Values.Kind(value))
        {
            case JqKind.Null: return static (c, e, v, p, k) => k(null, Np(p));
            case JqKind.True: return static (c, e, v, p, k) => k(Values.Bool(true), Np(p));
            case JqKind.False: return static (c, e, v, p, k) => k(Values.Bool(false), Np(p));
            case JqKind.Number:
                {
                    var d = Values.Number(value);
                    return (c, e, v, p, k) => k(Values.Num(d), Np(p));
                }
            case JqKind.String:
                {
                    var s = Values.String(value);
                    return (c, e, v, p, k) => k(Values.Str(s), Np(p));
                }
            default:
                return (c, e, v, p, k) => k(value!.DeepClone(), Np(p));
        }
    }

    /// <summary>Runs one step whose own errors are dropped (the step yields nothing then); errors of whoever consumes
    /// its outputs still surface.</summary>
    private static bool Optional(Ctx c, JsonNode? t, Path? tp, Emit k, Func<Ctx, JsonNode?, Path?, Emit, bool> step) =>
        Guard(c, null, t, tp, (c2, _, t2, tp2, k2) => step(c2, t2, tp2, k2), k, static _ => true);

    private Filter CompileIndex(IndexAst ix, Scope? scope)
    {
        var target = Compile(ix.Target, scope);
        var optional = ix.Optional;
        if (ix.Index is LiteralAst { Value: var keyValue } && Values.Kind(keyValue) is JqKind.String or JqKind.Number)
        {
            var key = keyValue!;
            if (optional)
                return (c, e, v, p, k) => target(c, e, v, p, (t, tp) => OptionalIndex(c, t, key, tp, k));
            if (ix.Target is IdentityAst)
                return (c, e, v, p, k) => k(IndexStep(c, v, key, p), p?.Append(key));
            return (c, e, v, p, k) => target(c, e, v, p, (t, tp) => k(IndexStep(c, t, key, tp), tp?.Append(key)));
        }
        var index = Compile(ix.Index, scope);
        if (optional)
            return (c, e, v, p, k) => index(c, e, v, null, (key, _) => target(c, e, v, p, (t, tp) => OptionalIndex(c, t, key, tp, k)));
        return (c, e, v, p, k) => index(c, e, v, null, (key, _) =>
            target(c, e, v, p, (t, tp) => k(IndexStep(c, t, key, tp), tp?.Append(key))));
    }

    private static bool OptionalIndex(Ctx c, JsonNode? t, JsonNode? key, Path? tp, Emit k)
    {
        JsonNode? result;
        try
        {
            result = IndexStep(c, t, key, tp);
        }
        catch (JqError)
        {
            return true;
        }
        return k(result, tp?.Append(key));
    }

    private static JsonNode? IndexStep(Ctx c, JsonNode? t, JsonNode? key, Path? tp)
    {
        if (tp == Path.NotAPath)
            throw JqError.Of($"Invalid path expression near attempt to access element {Values.Trunc(key)} of {Values.Trunc(t)}");
        return Ops.Index(c, t, key);
    }

    private Filter CompileSlice(SliceAst sl, Scope? scope)
    {
        var target = Compile(sl.Target, scope);
        var from = sl.From is null ? CompileLiteral(null) : Compile(sl.From, scope);
        var to = sl.To is null ? CompileLiteral(null) : Compile(sl.To, scope);
        var optional = sl.Optional;
        return (c, e, v, p, k) => from(c, e, v, null, (f, _) => to(c, e, v, null, (t, _) =>
            target(c, e, v, p, (x, xp) =>
            {
                var key = Ops.SliceKey(f, t, c);
                return optional ? OptionalIndex(c, x, key, xp, k) : k(IndexStep(c, x, key, xp), xp?.Append(key));
            })));
    }

    /// <summary>Runs body, handing its errors (only its own, not those of whoever consumes its outputs) to onError.</summary>
    public static bool Guard(Ctx c, Env? e, JsonNode? v, Path? p, Filter body, Emit k, Func<JqError, bool> onError)
    {
        var owner = c.NewToken();
        bool result;
        try
        {
            result = body(c, e, v, p, (x, xp) =>
            {
                try
                {
                    return k(x, xp);
                }
                catch (JqError inner)
                {
                    throw new Downstream(inner, owner);
                }
            });
        }
        catch (JqError error)
        {
            return onError(error);
        }
        catch (Downstream d) when (d.Owner == owner)
        {
            throw d.Inner;
        }
        return result;
    }

    private static Filter CompileTry(Filter body, Filter? handler)
    {
        if (handler is null) return (c, e, v, p, k) => Guard(c, e, v, p, body, k, static _ => true);
        return (c, e, v, p, k) => Guard(c, e, v, p, body, k, error => handler(c, e, error.Value, Np(p), k));
    }

    /// <summary>a // b: a's truthy outputs, or b's outputs when there are none (jq 1.6 lets a's errors through).</summary>
    private static Filter CompileAlternative(Filter left, Filter right) => (c, e, v, p, k) =>
    {
        var any = false;
        if (!left(c, e, v, p, (x, xp) =>
        {
            if (!Values.Truthy(x)) return true;
            any = true;
            return k(x, xp);
        })) return false;
        return any || right(c, e, v, p, k);
    };

    private Filter CompileObject(ObjectAst obj, Scope? scope)
    {
        var keys = obj.Entries.Select(en => Compile(en.Key, scope)).ToArray();
        var values = obj.Entries.Select(en => Compile(en.Value, scope)).ToArray();
        var n = keys.Length;
        return (c, e, v, p, k) =>
        {
            var names = new string[n];
            var vals = new JsonNode?[n];
            return Build(0);

            bool Build(int i)
            {
                if (i == n)
                {
                    var result = new JsonObject();
                    for (var j = 0; j < n; j++) result[names[j]] = Values.Attach(c, vals[j]);
                    return k(result, Np(p));
                }
                return keys[i](c, e, v, null, (key, _) =>
                {
                    if (!Values.TryString(key, out var name))
                        throw JqError.Of($"Object keys must be strings");
                    return values[i](c, e, v, null, (x, _) =>
                    {
                        names[i] = name;
                        vals[i] = x;
                        return Build(i + 1);
                    });
                });
            }
        };
    }

    private Filter CompileString(StringAst str, Scope? scope)
    {
        var parts = str.Parts.Select(part => part is Ast a ? Compile(a, scope) : null).ToArray();
        var literals = str.Parts.Select(part => part as string).ToArray();
        var format = str.Format ?? "text";
        if (!Formats.IsKnown(format)) throw Error($"@{format} is not a valid format", str.Pos);
        var n = parts.Length;
        return (c, e, v, p, k) =>
        {
            var texts = new string[n];
            return Go(n - 1);

            bool Go(int j)
            {
                if (j < 0)
                {
                    var total = 0;
                    foreach (var t in texts) total += t.Length;
                    c.CheckString(total);
                    return k(Values.Str(string.Concat(texts)), Np(p));
                }
                if (parts[j] is null)
                {
                    texts[j] = literals[j]!;
                    return Go(j - 1);
                }
                return parts[j]!(c, e, v, null, (x, _) =>
                {
                    texts[j] = Formats.Apply(c, format, x);
                    return Go(j - 1);
                });
            }
        };
    }

    private Filter CompileVar(VarAst va, Scope? scope)
    {
        var index = 0;
        for (var s = scope; s is not null; s = s.Next, index++)
        {
            if (s.Kind == Kind.Var && s.Name == va.Name)
            {
                var i = index;
                return (c, e, v, p, k) => k((JsonNode?)e!.Get(i).Value, Np(p));
            }
        }
        if (va.Name == "ENV") return static (c, e, v, p, k) => k(new JsonObject(), Np(p));
        if (_freeVariables is not null && !_freeVariables.Contains(va.Name))
            throw Error($"${va.Name} is not defined", va.Pos);
        var name = va.Name;
        return (c, e, v, p, k) => k(c.Variable(name), Np(p));
    }

    // ---- functions -----------------------------------------------------------------------------------------------

    private Filter CompileDefs(DefsAst defs, Scope? scope)
    {
        var infos = new FuncInfo[defs.Defs.Length];
        var s = scope;
        for (var i = 0; i < defs.Defs.Length; i++)
        {
            var d = defs.Defs[i];
            var info = new FuncInfo(d.Name, d.Params, global: false);
            s = new Scope(s, Kind.Func, $"{d.Name}/{d.Params.Length}", info);
            info.Body = CompileFuncBody(d, info, s);
            infos[i] = info;
        }
        var body = Compile(defs.Body, s);
        return (c, e, v, p, k) =>
        {
            var env = e;
            foreach (var info in infos) env = new Env(env, info);
            return body(c, env, v, p, k);
        };
    }

    /// <summary>The body's scope: the definition itself (for recursion; globals are found by name), then each
    /// parameter as a closure; a $param is also bound as a variable from its closure's outputs.</summary>
    private Filter CompileFuncBody(FuncDef d, FuncInfo info, Scope? defScope)
    {
        var s = defScope;
        foreach (var param in d.Params) s = new Scope(s, Kind.Closure, param.TrimStart('$'));
        Ast body = d.Body;
        for (var i = d.Params.Length - 1; i >= 0; i--)
        {
            if (!d.Params[i].StartsWith('$')) continue;
            var name = d.Params[i][1..];
            body = new BindAst(d.Pos, new CallAst(d.Pos, name, []), new VarPattern(d.Pos, name), body);
        }
        _ = info;
        return Compile(body, s);
    }

    private Filter CompileCall(CallAst call, Scope? scope)
    {
        var arity = call.Args.Length;
        var key = $"{call.Name}/{arity}";
        var index = 0;
        for (var s = scope; s is not null; s = s.Next, index++)
        {
            if (s.Kind == Kind.Closure && arity == 0 && s.Name == call.Name)
            {
                var i = index;
                return (c, e, v, p, k) =>
                {
                    var closure = (Closure)e!.Get(i).Value!;
                    return closure.Filter(c, closure.Env, v, p, k);
                };
            }
            if (s.Kind == Kind.Func && s.Name == key)
                return CallDefined(s.Func!, call, scope, index);
        }
        if (_globals.TryGetValue(key, out var global)) return CallDefined(global, call, scope, -1);
        if (Builtins.Natives.TryGetValue(key, out var native))
        {
            var args = call.Args.Select(a => Compile(a, scope)).ToArray();
            return native(args);
        }
        if (call.Name is "input" or "inputs" && arity == 0)
            return static (c, e, v, p, k) => throw JqError.Of("input is not supported: a program here reads only its own input");
        throw Error($"{key} is not defined", call.Pos);
    }

    private Filter CallDefined(FuncInfo info, CallAst call, Scope? scope, int index)
    {
        var args = call.Args.Select(a => Compile(a, scope)).ToArray();
        if (args.Length == 0)
        {
            if (info.Global)
                return (c, e, v, p, k) =>
                {
                    c.Enter();
                    try { return info.Body!(c, null, v, p, k); } finally { c.Exit(); }
                };
            return (c, e, v, p, k) =>
            {
                c.Enter();
                try { return info.Body!(c, e!.Get(index), v, p, k); } finally { c.Exit(); }
            };
        }
        return (c, e, v, p, k) =>
        {
            c.Enter();
            try
            {
                var env = info.Global ? null : e!.Get(index);
                foreach (var a in args) env = new Env(env, new Closure(a, e));
                return info.Body!(c, env, v, p, k);
            }
            finally
            {
                c.Exit();
            }
        };
    }

    // ---- binding -------------------------------------------------------------------------------------------------

    /// <summary>Binds a destructured value: fills slots (one per variable, in order of appearance), then calls next.</summary>
    private delegate bool Binder(Ctx c, Env? e, JsonNode? dot, JsonNode? value, JsonNode?[] slots, Func<bool> next);

    private static void PatternVariables(Pattern pattern, List<string> names)
    {
        switch (pattern)
        {
            case VarPattern v: names.Add(v.Name); break;
            case ArrayPattern a:
                foreach (var item in a.Items) PatternVariables(item, names);
                break;
            case ObjectPattern o:
                foreach (var entry in o.Entries)
                {
                    if (entry.Var is not null) names.Add(entry.Var);
                    if (entry.Value is not null) PatternVariables(entry.Value, names);
                }
                break;
        }
    }

    private Binder CompilePattern(Pattern pattern, Scope? scope, List<string> names, ref int slot)
    {
        switch (pattern)
        {
            case VarPattern:
                {
                    var i = slot++;
                    return (c, e, dot, value, slots, next) =>
                    {
                        slots[i] = value;
                        return next();
                    };
                }
            case ArrayPattern a:
                {
                    var items = new Binder[a.Items.Length];
                    for (var j = 0; j < items.Length; j++) items[j] = CompilePattern(a.Items[j], scope, names, ref slot);
                    return (c, e, dot, value, slots, next) =>
                    {
                        if (value is not null and not JsonArray) throw JqError.Of($"Cannot index {Values.TypeName(value)} with number");
                        return Step(0);

                        bool Step(int j) =>
                            j == items.Length ? next() : items[j](c, e, dot, Ops.Index(c, value, Values.Num(j)), slots, () => Step(j + 1));
                    };
                }
            case ObjectPattern o:
                {
                    var entries = new (Filter Key, int VarSlot, Binder? Value)[o.Entries.Length];
                    for (var j = 0; j < entries.Length; j++)
                    {
                        var entry = o.Entries[j];
                        var key = Compile(entry.Key!, scope);
                        var varSlot = entry.Var is null ? -1 : slot++;
                        var sub = entry.Value is null ? null : CompilePattern(entry.Value, scope, names, ref slot);
                        entries[j] = (key, varSlot, sub);
                    }
                    return (c, e, dot, value, slots, next) =>
                    {
                        return Step(0);

                        bool Step(int j)
                        {
                            if (j == entries.Length) return next();
                            var (key, varSlot, sub) = entries[j];
                            return key(c, e, dot, null, (kv, _) =>
                            {
                                if (Values.Kind(kv) != JqKind.String) throw JqError.Of($"Cannot index {Values.TypeName(value)} with {Values.TypeName(kv)}");
                                var field = Ops.Index(c, value, kv);
                                if (varSlot >= 0) slots[varSlot] = field;
                                return sub is null ? Step(j + 1) : sub(c, e, dot, field, slots, () => Step(j + 1));
                            });
                        }
                    };
                }
            default:
                throw Error("unsupported pattern", pattern.Pos);
        }
    }

    /// <summary>The pattern's variables pushed on the scope, and a function that binds them for a value then runs body.</summary>
    private (Scope? Scope, Func<Ctx, Env?, JsonNode?, JsonNode?, Func<Env?, bool>, bool> Bind) PreparePattern(Pattern pattern, Scope? scope)
    {
        var names = new List<string>();
        PatternVariables(pattern, names);
        var slot = 0;
        var binder = CompilePattern(pattern, scope, names, ref slot);
        var inner = scope;
        foreach (var name in names) inner = new Scope(inner, Kind.Var, name);
        var count = names.Count;
        if (pattern is VarPattern)
            return (inner, (c, e, dot, value, body) => body(new Env(e, value)));
        return (inner, (c, e, dot, value, body) =>
        {
            var slots = new JsonNode?[count];
            return binder(c, e, dot, value, slots, () =>
            {
                var env = e;
                foreach (var x in slots) env = new Env(env, x);
                return body(env);
            });
        }
        );
    }

    private Filter CompileBind(BindAst bind, Scope? scope)
    {
        var source = Compile(bind.Source, scope);
        var (inner, binder) = PreparePattern(bind.Pattern, scope);
        var body = Compile(bind.Body, inner);
        return (c, e, v, p, k) => source(c, e, v, null, (x, _) => binder(c, e, v, x, env => body(c, env, v, p, k)));
    }

    private Filter CompileReduce(ReduceAst red, Scope? scope)
    {
        var source = Compile(red.Source, scope);
        var init = Compile(red.Init, scope);
        var (inner, binder) = PreparePattern(red.Pattern, scope);
        var update = Compile(red.Update, inner);
        return (c, e, v, p, k) => init(c, e, v, null, (start, _) =>
        {
            var state = start;
            if (!source(c, e, v, null, (x, _) => binder(c, e, v, x, env =>
            {
                c.Step();
                JsonNode? last = null;
                var r = update(c, env, state, null, (u, _) =>
                {
                    last = u;
                    return true;
                });
                state = last;
                return r;
            }))) return false;
            return k(state, Np(p));
        });
    }

    private Filter CompileForeach(ForeachAst fe, Scope? scope)
    {
        var source = Compile(fe.Source, scope);
        var init = Compile(fe.Init, scope);
        var (inner, binder) = PreparePattern(fe.Pattern, scope);
        var update = Compile(fe.Update, inner);
        var extract = fe.Extract is null ? null : Compile(fe.Extract, inner);
        return (c, e, v, p, k) => init(c, e, v, null, (start, _) =>
        {
            var state = start;
            return source(c, e, v, null, (x, _) => binder(c, e, v, x, env =>
            {
                c.Step();
                return update(c, env, state, null, (u, _) =>
                {
                    state = u;
                    return extract is null ? k(u, Np(p)) : extract(c, env, u, null, (y, _) => k(y, Np(p)));
                });
            }));
        });
    }

    // ---- assignment ----------------------------------------------------------------------------------------------

    public static List<JsonArray> CollectPaths(Ctx c, Env? e, JsonNode? v, Filter f)
    {
        var paths = new List<JsonArray>();
        f(c, e, v, Path.Root, (x, xp) =>
        {
            paths.Add(PathArray(c, x, xp));
            return true;
        });
        return paths;
    }

    public static JsonArray PathArray(Ctx c, JsonNode? x, Path? xp)
    {
        if (xp is null || xp == Path.NotAPath) throw JqError.Of($"Invalid path expression with result {Values.ToJson(x)}");
        return xp.ToArray(c);
    }

    private Filter CompileAssign(AssignAst asg, Scope? scope)
    {
        var lhs = Compile(asg.Left, scope);
        var rhs = Compile(asg.Right, scope);
        switch (asg.Op)
        {
            case "=":
                return (c, e, v, p, k) => rhs(c, e, v, null, (x, _) =>
                {
                    var state = v;
                    foreach (var path in CollectPaths(c, e, v, lhs)) state = Ops.SetPath(c, state, path, 0, x);
                    return k(state, Np(p));
                });
            case "|=":
                return (c, e, v, p, k) =>
                {
                    var state = v;
                    foreach (var path in CollectPaths(c, e, v, lhs))
                    {
                        c.Step();
                        var old = Ops.GetPath(c, state, path);
                        var token = c.NewToken();
                        var found = false;
                        JsonNode? first = null;
                        var r = rhs(c, e, old, null, (u, _) =>
                        {
                            found = true;
                            first = u;
                            c.Stopping = token;
                            return false;
                        });
                        if (!r && !c.Claim(token)) return false;
                        state = found ? Ops.SetPath(c, state, path, 0, first) : Ops.DeletePaths(c, state, [path]);
                    }
                    return k(state, Np(p));
                };
            default:
                {
                    var op = asg.Op[..^1];
                    return (c, e, v, p, k) => rhs(c, e, v, null, (x, _) =>
                    {
                        var state = v;
                        foreach (var path in CollectPaths(c, e, v, lhs))
                        {
                            c.Step();
                            var old = Ops.GetPath(c, state, path);
                            var updated = op == "//" ? (Values.Truthy(old) ? old : x) : Ops.Binary(c, op, old, x);
                            state = Ops.SetPath(c, state, path, 0, updated);
                        }
                        return k(state, Np(p));
                    });
                }
        }
    }
}
