using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Jint;
using Jint.Native;
using Jint.Runtime;
using Microsoft.Extensions.Options;

namespace Baton.Engine.Scripting;

/// <summary>
/// Evaluates INLINE and SWITCH scripts with Jint. <c>$</c> is bound to the task's inputs. Each evaluation gets a
/// fresh engine bounded in time, memory and recursion, and no access to .NET or the host.
/// </summary>
public sealed class JavaScriptEvaluator(IOptions<EngineOptions> options)
{
    private const int CacheLimit = 4096;
    private readonly EngineOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, Prepared<Acornima.Ast.Script>> _prepared = new(StringComparer.Ordinal);

    /// <summary>Evaluates a script; the value of its last expression is the result.</summary>
    /// <exception cref="ScriptException">The script did not parse, threw, or ran past a limit.</exception>
    public JsonNode? Evaluate(string script, JsonObject input)
    {
        Prepared<Acornima.Ast.Script> prepared;
        try
        {
            prepared = Prepare(script);
        }
        catch (Exception e) when (e is ScriptPreparationException or Acornima.ParseErrorException or JavaScriptException)
        {
            throw new ScriptException($"the script does not parse: {(e.InnerException ?? e).Message}");
        }

        var engine = new Jint.Engine(o => o
            .TimeoutInterval(TimeSpan.FromMilliseconds(_options.ScriptTimeoutMs))
            .LimitMemory(_options.ScriptMemoryBytes)
            .LimitRecursion(_options.ScriptRecursionLimit)
            .Strict(false));
        try
        {
            var parser = new Jint.Native.Json.JsonParser(engine);
            engine.Evaluate(JavaListMethods);
            engine.SetValue("$", parser.Parse(input.ToJsonString()));
            var result = engine.Evaluate(prepared);
            return ToJson(engine, result);
        }
        catch (JavaScriptException e)
        {
            throw new ScriptException($"the script threw: {e.Message}");
        }
        catch (TimeoutException)
        {
            throw new ScriptException($"the script ran longer than {_options.ScriptTimeoutMs} ms");
        }
        catch (MemoryLimitExceededException)
        {
            throw new ScriptException($"the script used more than {_options.ScriptMemoryBytes / (1024 * 1024)} MB");
        }
        catch (RecursionDepthOverflowException)
        {
            throw new ScriptException($"the script recursed deeper than {_options.ScriptRecursionLimit} calls");
        }
        catch (StatementsCountOverflowException)
        {
            throw new ScriptException("the script ran too many statements");
        }
        catch (Jint.Runtime.ExecutionCanceledException)
        {
            throw new ScriptException($"the script ran longer than {_options.ScriptTimeoutMs} ms");
        }
    }

    /// <summary>
    /// Conductor hands scripts its inputs as Java lists, so its users write <c>$.list.get(i)</c> and <c>$.list.size()</c>
    /// (its own DoWhileSpec does); arrays here answer both, as methods no loop over the array sees.
    /// </summary>
    private static readonly Prepared<Acornima.Ast.Script> JavaListMethods = Jint.Engine.PrepareScript("""
        Object.defineProperty(Array.prototype, 'get', { value: function (i) { return this[i]; }, writable: true, configurable: true });
        Object.defineProperty(Array.prototype, 'size', { value: function () { return this.length; }, writable: true, configurable: true });
        """);

    private Prepared<Acornima.Ast.Script> Prepare(string script)
    {
        if (_prepared.TryGetValue(script, out var cached)) return cached;
        var prepared = Jint.Engine.PrepareScript(script);
        if (_prepared.Count >= CacheLimit) _prepared.Clear();
        _prepared[script] = prepared;
        return prepared;
    }

    private static JsonNode? ToJson(Jint.Engine engine, JsValue value)
    {
        if (value.IsUndefined() || value.IsNull()) return null;
        var serializer = new Jint.Native.Json.JsonSerializer(engine);
        var text = serializer.Serialize(value);
        return text.IsUndefined() ? null : JsonNode.Parse(text.AsString());
    }
}

/// <summary>A script failed; the message says how, in words a workflow author can act on.</summary>
public sealed class ScriptException(string message) : Exception(message);
