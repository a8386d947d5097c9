using System.Text.Json.Nodes;

namespace Baton.Jq;

/// <summary>The parsed program. Every node knows where it starts (for compile errors).</summary>
internal abstract record Ast(int Pos);

internal sealed record IdentityAst(int Pos) : Ast(Pos);

internal sealed record RecurseAst(int Pos) : Ast(Pos);

internal sealed record LiteralAst(int Pos, JsonNode? Value) : Ast(Pos);

/// <summary>Target[Index] (field access is an index with a string literal); Index is evaluated against the outer input.</summary>
/// <remarks>Optional (a "?" right after the step, as in .a? or .b[0]?) drops the step's own errors only: as in jq 1.6,
/// errors of Target and Index still surface.</remarks>
internal sealed record IndexAst(int Pos, Ast Target, Ast Index, bool Optional = false) : Ast(Pos);

internal sealed record SliceAst(int Pos, Ast Target, Ast? From, Ast? To, bool Optional = false) : Ast(Pos);

internal sealed record IterateAst(int Pos, Ast Target, bool Optional = false) : Ast(Pos);

/// <summary>try Body catch Catch; Catch null means errors are dropped (also the postfix ?).</summary>
internal sealed record TryAst(int Pos, Ast Body, Ast? Catch) : Ast(Pos);

internal sealed record PipeAst(int Pos, Ast[] Stages) : Ast(Pos);

internal sealed record CommaAst(int Pos, Ast[] Items) : Ast(Pos);

internal sealed record NegAst(int Pos, Ast Operand) : Ast(Pos);

internal sealed record BinaryAst(int Pos, string Op, Ast Left, Ast Right) : Ast(Pos);

internal sealed record AndAst(int Pos, Ast Left, Ast Right) : Ast(Pos);

internal sealed record OrAst(int Pos, Ast Left, Ast Right) : Ast(Pos);

internal sealed record AltAst(int Pos, Ast Left, Ast Right) : Ast(Pos);

internal sealed record AssignAst(int Pos, string Op, Ast Left, Ast Right) : Ast(Pos);

internal sealed record IfAst(int Pos, Ast Cond, Ast Then, Ast Else) : Ast(Pos);

internal sealed record ArrayAst(int Pos, Ast? Body) : Ast(Pos);

internal sealed record ObjectEntry(Ast Key, Ast Value);

internal sealed record ObjectAst(int Pos, ObjectEntry[] Entries) : Ast(Pos);

/// <summary>A string with interpolations: literal parts are strings, the rest expressions; Format applies to interpolated values.</summary>
internal sealed record StringAst(int Pos, object[] Parts, string? Format) : Ast(Pos);

/// <summary>@name alone: formats the input.</summary>
internal sealed record FormatAst(int Pos, string Name) : Ast(Pos);

internal sealed record VarAst(int Pos, string Name) : Ast(Pos);

internal sealed record CallAst(int Pos, string Name, Ast[] Args) : Ast(Pos);

internal sealed record FuncDef(int Pos, string Name, string[] Params, Ast Body);

internal sealed record DefsAst(int Pos, FuncDef[] Defs, Ast Body) : Ast(Pos);

internal sealed record BindAst(int Pos, Ast Source, Pattern Pattern, Ast Body) : Ast(Pos);

internal sealed record ReduceAst(int Pos, Ast Source, Pattern Pattern, Ast Init, Ast Update) : Ast(Pos);

internal sealed record ForeachAst(int Pos, Ast Source, Pattern Pattern, Ast Init, Ast Update, Ast? Extract) : Ast(Pos);

internal sealed record LabelAst(int Pos, string Name, Ast Body) : Ast(Pos);

internal sealed record BreakAst(int Pos, string Name) : Ast(Pos);

/// <summary>Destructuring patterns of "as".</summary>
internal abstract record Pattern(int Pos);

internal sealed record VarPattern(int Pos, string Name) : Pattern(Pos);

internal sealed record ArrayPattern(int Pos, Pattern[] Items) : Pattern(Pos);

/// <summary>One entry of an object pattern: {$name}, {$name: p}, {key: p}, {"k": p}, {(e): p}.</summary>
internal sealed record ObjectPatternEntry(string? Var, Ast? Key, Pattern? Value);

internal sealed record ObjectPattern(int Pos, ObjectPatternEntry[] Entries) : Pattern(Pos);
