using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Baton.Core.Definitions;
using Baton.Core.Validation;
using Baton.Jq;
using Baton.Jq.Templates;
using Cronos;

namespace Baton.Engine.Tasks.Nodes.Model;

/// <summary>
/// A node workflow as Port writes it (identifier, title, description, icon, category, allowAnyoneToViewRuns, nodes,
/// connections), checked whole as Port's service checks it, and compiled onto a Conductor <see cref="WorkflowDef"/>
/// (docs/architecture.md, "Node workflows"): the definition keeps the document as written under <c>nodeWorkflow</c>,
/// and each node is a task whose extension data holds the node, the target of its connection (<c>next</c>) and, for a
/// branching node, its outlets' targets and its fallback. The document is handled as JSON so that a field Baton does
/// not know is kept as written.
/// </summary>
public static partial class NodeWorkflows
{
    public const int MaxNodes = 200;
    public const int MaxConnections = 400;
    public const int MaxLinks = 3;

    private static readonly HashSet<string> Triggers = new(StringComparer.Ordinal) { "SELF_SERVE_TRIGGER", "SCHEDULE_TRIGGER", "EVENT_TRIGGER" };
    private static readonly HashSet<string> Branching = new(StringComparer.Ordinal) { "CONDITION", "INPUT" };
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal) { "SELF_SERVE_TRIGGER", "SCHEDULE_TRIGGER", "EVENT_TRIGGER", "WEBHOOK", "KAFKA", "CONDITION", "INPUT" };
    private static readonly HashSet<string> PortOnly = new(StringComparer.Ordinal) { "UPSERT_ENTITY", "INTEGRATION_ACTION", "AI", "AI_AGENT", "CURSOR_AGENT" };
    private static readonly HashSet<string> Methods = new(StringComparer.Ordinal) { "GET", "POST", "PUT", "PATCH", "DELETE" };
    private static readonly HashSet<string> InputTypes = new(StringComparer.Ordinal) { "string", "number", "boolean", "object", "array" };

    /// <summary>The events an EVENT_TRIGGER may wait for: Baton's own (Port's entity events have no counterpart here).</summary>
    public static readonly IReadOnlySet<string> EventTypes = new HashSet<string>(StringComparer.Ordinal) { "RUN_FINISHED", "SECRET_ROTATED" };

    [GeneratedRegex("^[A-Za-z0-9@_:-]+$")]
    private static partial Regex IdentifierPattern();

    /// <summary>Every problem of the document, each with its JSON path.</summary>
    public static List<ValidationProblem> Validate(JsonObject doc)
    {
        var problems = new List<ValidationProblem>();
        var identifier = Text(doc["identifier"]);
        CheckIdentifier(identifier, "$.identifier", problems);
        if (identifier is "runs" or "nodes") problems.Add(new("$.identifier", $"'{identifier}' is a word of the API's paths; choose another identifier"));
        foreach (var field in new[] { "title", "description", "icon", "category" })
        {
            if (doc[field] is { } v && Text(v) is null) problems.Add(new($"$.{field}", $"{field} must be a string"));
        }
        if (doc["allowAnyoneToViewRuns"] is { } view && view.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            problems.Add(new("$.allowAnyoneToViewRuns", "allowAnyoneToViewRuns must be true or false"));
        }
        var nodes = doc["nodes"] as JsonArray;
        if (nodes is null || nodes.Count == 0) problems.Add(new("$.nodes", "a workflow needs nodes, at least one of them a trigger"));
        else if (nodes.Count > MaxNodes) problems.Add(new("$.nodes", $"a workflow has at most {MaxNodes} nodes"));
        var connections = doc["connections"] as JsonArray ?? [];
        if (doc["connections"] is { } c && c is not JsonArray) problems.Add(new("$.connections", "connections must be an array"));
        if (connections.Count > MaxConnections) problems.Add(new("$.connections", $"a workflow has at most {MaxConnections} connections"));
        if (problems.Count > 0 && (nodes is null || nodes.Count > MaxNodes || connections.Count > MaxConnections)) return problems;

        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var outletsOf = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        for (var i = 0; i < nodes!.Count; i++)
        {
            var path = $"$.nodes[{i}]";
            if (nodes[i] is not JsonObject node)
            {
                problems.Add(new(path, "a node is an object"));
                continue;
            }
            var id = Text(node["identifier"]);
            CheckIdentifier(id, $"{path}.identifier", problems);
            var type = Text(node["config"]?["type"]);
            if (node["config"] is not JsonObject config)
            {
                problems.Add(new($"{path}.config", "a node needs a config with its type"));
                continue;
            }
            if (type is null || !Known.Contains(type))
            {
                problems.Add(new($"{path}.config.type", type is not null && PortOnly.Contains(type)
                    ? $"node type {type} is Port's and not supported by Baton"
                    : $"config.type must be one of {string.Join(", ", Known)}"));
                continue;
            }
            if (id is not null && !types.TryAdd(id, type)) problems.Add(new($"{path}.identifier", $"node identifier '{id}' is used twice"));
            CheckNode(node, config, type, path, problems, out var outlets);
            if (id is not null && outlets is not null) outletsOf[id] = outlets;
        }
        if (!types.Values.Any(Triggers.Contains)) problems.Add(new("$.nodes", "a workflow needs at least one trigger node (SELF_SERVE_TRIGGER, SCHEDULE_TRIGGER or EVENT_TRIGGER)"));
        CheckConnections(connections, types, outletsOf, problems);
        return problems;
    }

    private static void CheckIdentifier(string? id, string path, List<ValidationProblem> problems)
    {
        if (string.IsNullOrEmpty(id)) problems.Add(new(path, "an identifier is required"));
        else if (id.Length > 60 || !IdentifierPattern().IsMatch(id)) problems.Add(new(path, "an identifier is 1 to 60 letters, digits, '@', '_', ':' or '-'"));
    }

    private static void CheckNode(JsonObject node, JsonObject config, string type, string path, List<ValidationProblem> problems, out HashSet<string>? outlets)
    {
        outlets = null;
        if (node["links"] is { } links && (links is not JsonArray list || list.Count > MaxLinks || list.Any(l => Text(l) is null)))
        {
            problems.Add(new($"{path}.links", $"links is an array of at most {MaxLinks} URL templates"));
        }
        if (node["verbose"] is { } verbose && verbose.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False)) problems.Add(new($"{path}.verbose", "verbose must be true or false"));
        if (node["variables"] is { } variables && variables is not JsonObject) problems.Add(new($"{path}.variables", "variables is an object of templates"));
        CheckTemplates(node["variables"], $"{path}.variables", allowSecrets: false, problems);
        CheckTemplates(node["links"], $"{path}.links", allowSecrets: false, problems);
        switch (type)
        {
            case "WEBHOOK":
                if (Text(config["url"]) is null) problems.Add(new($"{path}.config.url", "a WEBHOOK needs a url"));
                if (config["method"] is { } method && (Text(method) is not { } m || !Methods.Contains(m))) problems.Add(new($"{path}.config.method", "method is one of GET, POST, PUT, PATCH, DELETE"));
                if (config["headers"] is { } headers && (headers is not JsonObject h || h.Any(p => Text(p.Value) is null))) problems.Add(new($"{path}.config.headers", "headers is an object of strings"));
                Bool(config, "synchronized", path, problems);
                OneOf(config, "onFailure", ["terminate", "continue"], path, problems);
                OneOf(config, "onTimeout", ["fail", "continue"], path, problems);
                if (config["timeoutSeconds"] is { } timeout && !(timeout is JsonValue t && t.TryGetValue<int>(out var s) && s is >= 1 and <= 3600))
                {
                    problems.Add(new($"{path}.config.timeoutSeconds", "timeoutSeconds is a whole number of seconds from 1 to 3600"));
                }
                CheckTemplates(config, $"{path}.config", allowSecrets: true, problems);
                break;
            case "KAFKA":
                if (config["payload"] is not (JsonObject or JsonArray)) problems.Add(new($"{path}.config.payload", "a KAFKA node needs a payload, an object or an array"));
                if (config["topic"] is { } topic && Text(topic) is not { Length: > 0 and <= 249 }) problems.Add(new($"{path}.config.topic", "topic is a name of 1 to 249 characters"));
                OneOf(config, "onFailure", ["terminate", "continue"], path, problems);
                CheckTemplates(config, $"{path}.config", allowSecrets: true, problems);
                break;
            case "CONDITION":
                outlets = [];
                if (config["outlets"] is not JsonArray conditionOutlets)
                {
                    problems.Add(new($"{path}.config.outlets", "a CONDITION needs outlets: [{identifier, expression}]"));
                    break;
                }
                for (var i = 0; i < conditionOutlets.Count; i++)
                {
                    var outletPath = $"{path}.config.outlets[{i}]";
                    var id = Text(conditionOutlets[i]?["identifier"]);
                    if (id is null) problems.Add(new($"{outletPath}.identifier", "an outlet needs an identifier"));
                    else if (!outlets.Add(id)) problems.Add(new($"{outletPath}.identifier", $"outlet '{id}' is declared twice"));
                    if (Text(conditionOutlets[i]?["expression"]) is not { } expression) problems.Add(new($"{outletPath}.expression", "an outlet needs a jq expression"));
                    else CheckJq(expression, $"{outletPath}.expression", problems);
                }
                break;
            case "INPUT":
                outlets = [];
                var buttons = (config["userInputs"]?["buttons"] as JsonArray)?.Select(b => Text(b?["identifier"])).OfType<string>().ToHashSet(StringComparer.Ordinal);
                if (config["outlets"] is not JsonArray inputOutlets || inputOutlets.Count == 0)
                {
                    problems.Add(new($"{path}.config.outlets", "an INPUT needs outlets: [{identifier}], one per button"));
                    break;
                }
                for (var i = 0; i < inputOutlets.Count; i++)
                {
                    var id = Text(inputOutlets[i]?["identifier"]);
                    var outletPath = $"{path}.config.outlets[{i}].identifier";
                    if (id is null) problems.Add(new(outletPath, "an outlet needs an identifier"));
                    else if (!outlets.Add(id)) problems.Add(new(outletPath, $"outlet '{id}' is declared twice"));
                    else if (buttons is { Count: > 0 } && !buttons.Contains(id)) problems.Add(new(outletPath, $"outlet '{id}' names no button of userInputs.buttons"));
                }
                if (config["responders"] is { } responders && (responders is not JsonObject r
                    || r.Any(p => p.Value is not JsonArray names || names.Any(n => Text(n) is null))))
                {
                    problems.Add(new($"{path}.config.responders", "responders is {users, roles, teams}, each an array of strings"));
                }
                CheckTemplates(config, $"{path}.config", allowSecrets: true, problems);
                break;
            case "SELF_SERVE_TRIGGER":
                Bool(config, "published", path, problems);
                if (config["userInputs"] is { } form)
                {
                    var properties = form["properties"] as JsonObject;
                    if (form is not JsonObject || (form["properties"] is not null && properties is null)) problems.Add(new($"{path}.config.userInputs", "userInputs is {properties, required}"));
                    foreach (var (name, spec) in properties ?? [])
                    {
                        if (Text(spec?["type"]) is not { } inputType || !InputTypes.Contains(inputType)) problems.Add(new($"{path}.config.userInputs.properties.{name}.type", "an input's type is one of string, number, boolean, object, array"));
                        if (spec?["enum"] is { } values && values is not JsonArray) problems.Add(new($"{path}.config.userInputs.properties.{name}.enum", "enum is an array"));
                    }
                    if (form?["required"] is JsonArray required)
                    {
                        for (var i = 0; i < required.Count; i++)
                        {
                            if (Text(required[i]) is not { } name || properties?.ContainsKey(name) != true) problems.Add(new($"{path}.config.userInputs.required[{i}]", "required names a declared input"));
                        }
                    }
                }
                break;
            case "SCHEDULE_TRIGGER":
                Bool(config, "published", path, problems);
                if (CronProblem(Text(config["cron"])) is { } cronProblem) problems.Add(new($"{path}.config.cron", cronProblem));
                break;
            case "EVENT_TRIGGER":
                Bool(config, "published", path, problems);
                if (Text(config["event"]?["type"]) is not { } eventType || !EventTypes.Contains(eventType))
                {
                    problems.Add(new($"{path}.config.event.type", $"event.type is one of Baton's events: {string.Join(", ", EventTypes)}"));
                }
                if (config["condition"] is { } condition)
                {
                    if (condition["expressions"] is not JsonArray expressions) problems.Add(new($"{path}.config.condition.expressions", "a condition needs jq expressions"));
                    else for (var i = 0; i < expressions.Count; i++)
                    {
                        if (Text(expressions[i]) is not { } e) problems.Add(new($"{path}.config.condition.expressions[{i}]", "an expression is a string"));
                        else CheckJq(e, $"{path}.config.condition.expressions[{i}]", problems);
                    }
                    OneOf((JsonObject)condition, "combinator", ["and", "or"], $"{path}.config", problems);
                }
                break;
        }
    }

    /// <summary>Port's rule, kept: a schedule fires at most once every 5 minutes. 5 fields (or a macro), UTC.</summary>
    public static string? CronProblem(string? cron)
    {
        if (string.IsNullOrWhiteSpace(cron)) return "a SCHEDULE_TRIGGER needs a cron expression (5 fields, UTC)";
        CronExpression expression;
        try
        {
            var macro = cron.Trim().StartsWith('@');
            if (!macro && cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length != 5) return "cron has 5 fields (minute hour day-of-month month day-of-week), or is a macro such as @hourly";
            expression = CronExpression.Parse(cron.Trim(), macro ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            return $"cron does not parse: {e.Message}";
        }
        var from = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var previous = expression.GetNextOccurrence(from);
        for (var i = 0; i < 500 && previous is { } last; i++)
        {
            var next = expression.GetNextOccurrence(last);
            if (next is { } n && n - last < TimeSpan.FromMinutes(5)) return "a schedule fires at most once every 5 minutes (Port's rule)";
            previous = next;
        }
        return null;
    }

    private static void CheckConnections(JsonArray connections, Dictionary<string, string> types, Dictionary<string, HashSet<string>> outletsOf, List<ValidationProblem> problems)
    {
        var outgoing = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var usedOutlets = new HashSet<(string, string)>();
        var fallbacks = new HashSet<string>(StringComparer.Ordinal);
        var edges = new List<(string From, string To)>();
        for (var i = 0; i < connections.Count; i++)
        {
            var path = $"$.connections[{i}]";
            if (connections[i] is not JsonObject connection)
            {
                problems.Add(new(path, "a connection is an object"));
                continue;
            }
            var from = Text(connection["sourceIdentifier"]);
            var to = Text(connection["targetIdentifier"]);
            if (from is null || !types.ContainsKey(from)) problems.Add(new($"{path}.sourceIdentifier", $"no node '{from}'"));
            if (to is null || !types.ContainsKey(to)) problems.Add(new($"{path}.targetIdentifier", $"no node '{to}'"));
            if (from is null || to is null || !types.ContainsKey(from) || !types.ContainsKey(to)) continue;
            if (from == to) problems.Add(new($"{path}.targetIdentifier", "a node cannot connect to itself"));
            if (Triggers.Contains(types[to])) problems.Add(new($"{path}.targetIdentifier", $"'{to}' is a trigger, and a trigger is never a target"));
            var outlet = Text(connection["sourceOutletIdentifier"]) ?? Text(connection["sourceOptionIdentifier"]);
            var fallback = connection["fallback"]?.GetValueKind() == JsonValueKind.True;
            if (Branching.Contains(types[from]))
            {
                if (fallback && types[from] != "CONDITION") problems.Add(new($"{path}.fallback", "only a CONDITION has a fallback"));
                else if (fallback && outlet is not null) problems.Add(new($"{path}.fallback", "a connection is an outlet's or the fallback, not both"));
                else if (fallback && !fallbacks.Add(from)) problems.Add(new($"{path}.fallback", $"'{from}' has one fallback at most"));
                else if (!fallback && outlet is null) problems.Add(new($"{path}.sourceOutletIdentifier", $"a connection from {types[from]} '{from}' names its outlet"));
                else if (outlet is not null && !outletsOf.GetValueOrDefault(from, []).Contains(outlet)) problems.Add(new($"{path}.sourceOutletIdentifier", $"'{from}' has no outlet '{outlet}'"));
                else if (outlet is not null && !usedOutlets.Add((from, outlet))) problems.Add(new($"{path}.sourceOutletIdentifier", $"outlet '{outlet}' of '{from}' is connected twice"));
            }
            else
            {
                if (outlet is not null) problems.Add(new($"{path}.sourceOutletIdentifier", $"only CONDITION and INPUT nodes have outlets ('{from}' is {types[from]})"));
                if (fallback) problems.Add(new($"{path}.fallback", "only a CONDITION has a fallback"));
                if (outgoing.TryGetValue(from, out var already) && already.Count > 0) problems.Add(new($"{path}.sourceIdentifier", $"'{from}' already connects to '{already[0]}': a node other than CONDITION and INPUT has one outgoing connection"));
            }
            if (!outgoing.TryGetValue(from, out var list)) outgoing[from] = list = [];
            list.Add(to);
            edges.Add((from, to));
        }
        if (Cycle(types.Keys, outgoing) is { } cycle) problems.Add(new("$.connections", $"the connections make a cycle through '{cycle}'; a workflow is a graph without cycles"));
    }

    private static string? Cycle(IEnumerable<string> nodes, Dictionary<string, List<string>> outgoing)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 visiting, 2 done
        foreach (var start in nodes)
        {
            if (state.ContainsKey(start)) continue;
            var stack = new Stack<(string Node, int Next)>();
            stack.Push((start, 0));
            state[start] = 1;
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                var targets = outgoing.GetValueOrDefault(node, []);
                if (next < targets.Count)
                {
                    stack.Push((node, next + 1));
                    var target = targets[next];
                    if (state.TryGetValue(target, out var s))
                    {
                        if (s == 1) return target;
                        continue;
                    }
                    state[target] = 1;
                    stack.Push((target, 0));
                }
                else
                {
                    state[node] = 2;
                }
            }
        }
        return null;
    }

    private static void CheckTemplates(JsonNode? value, string path, bool allowSecrets, List<ValidationProblem> problems)
    {
        if (value is null) return;
        try
        {
            JqTemplate.Compile(value, new TemplateOptions { AllowSecrets = allowSecrets }, path);
        }
        catch (TemplateException e)
        {
            problems.Add(new(e.Path, e.Expression is null ? e.Reason : $"{{{{ {e.Expression} }}}}: {e.Reason}"));
        }
    }

    private static void CheckJq(string expression, string path, List<ValidationProblem> problems)
    {
        try
        {
            JqProgram.Compile(expression);
        }
        catch (JqParseException e)
        {
            problems.Add(new(path, $"jq: {e.Message}"));
        }
    }

    private static void Bool(JsonObject config, string field, string path, List<ValidationProblem> problems)
    {
        if (config[field] is { } v && v.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False)) problems.Add(new($"{path}.config.{field}", $"{field} must be true or false"));
    }

    private static void OneOf(JsonObject config, string field, string[] allowed, string path, List<ValidationProblem> problems)
    {
        if (config[field] is { } v && (Text(v) is not { } s || !allowed.Contains(s))) problems.Add(new($"{path}.config.{field}", $"{field} is one of {string.Join(", ", allowed)}"));
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>The definition a valid document compiles to (its version, owner and times are the catalog's to stamp).</summary>
    public static WorkflowDef Compile(JsonObject doc, int version)
    {
        var nodes = ((JsonArray)doc["nodes"]!).OfType<JsonObject>().ToList();
        var connections = (doc["connections"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var typeOf = nodes.ToDictionary(n => Text(n["identifier"])!, n => Text(n["config"]!["type"])!, StringComparer.Ordinal);
        var ordered = nodes.Where(n => Triggers.Contains(typeOf[Text(n["identifier"])!])).Concat(TopologicalRest(nodes, connections, typeOf)).ToList();
        var tasks = new List<WorkflowTask>();
        foreach (var node in ordered)
        {
            var id = Text(node["identifier"])!;
            var type = typeOf[id];
            var extra = new Dictionary<string, JsonElement>(StringComparer.Ordinal) { ["node"] = Element(node) };
            var from = connections.Where(c => Text(c["sourceIdentifier"]) == id).ToList();
            if (Branching.Contains(type))
            {
                var outlets = new JsonObject();
                foreach (var c in from)
                {
                    var outlet = Text(c["sourceOutletIdentifier"]) ?? Text(c["sourceOptionIdentifier"]);
                    if (c["fallback"]?.GetValueKind() == JsonValueKind.True) extra["fallback"] = Element(JsonValue.Create(Text(c["targetIdentifier"])));
                    else if (outlet is not null) outlets[outlet] = Text(c["targetIdentifier"]);
                }
                extra["outlets"] = Element(outlets);
            }
            else if (from.FirstOrDefault() is { } next)
            {
                extra["next"] = Element(JsonValue.Create(Text(next["targetIdentifier"])));
            }
            tasks.Add(new WorkflowTask
            {
                Name = id,
                TaskReferenceName = id,
                Type = Triggers.Contains(type) ? NodeTypes.Trigger : "NODE_" + type,
                Extra = extra,
            });
        }
        return new WorkflowDef
        {
            Name = Text(doc["identifier"])!,
            Description = Text(doc["description"]) ?? Text(doc["title"]),
            Version = version,
            SchemaVersion = 2,
            AllowAnyoneToViewRuns = doc["allowAnyoneToViewRuns"]?.GetValueKind() != JsonValueKind.False,
            Tasks = tasks,
            Extra = new Dictionary<string, JsonElement>(StringComparer.Ordinal) { [NodeWiring.DocumentField] = Element(doc) },
        };
    }

    /// <summary>The non-trigger nodes in an order where every connection goes forward (the document's order among equals).</summary>
    private static IEnumerable<JsonObject> TopologicalRest(List<JsonObject> nodes, List<JsonObject> connections, Dictionary<string, string> typeOf)
    {
        var rest = nodes.Where(n => !Triggers.Contains(typeOf[Text(n["identifier"])!])).ToList();
        var incoming = rest.ToDictionary(n => Text(n["identifier"])!, _ => 0, StringComparer.Ordinal);
        foreach (var c in connections)
        {
            if (Text(c["targetIdentifier"]) is { } to && incoming.TryGetValue(to, out var count) && Text(c["sourceIdentifier"]) is { } from && incoming.ContainsKey(from)) incoming[to] = count + 1;
        }
        var done = new HashSet<string>(StringComparer.Ordinal);
        while (done.Count < rest.Count)
        {
            var ready = rest.First(n => !done.Contains(Text(n["identifier"])!) && incoming[Text(n["identifier"])!] == 0);
            var id = Text(ready["identifier"])!;
            done.Add(id);
            yield return ready;
            foreach (var c in connections.Where(c => Text(c["sourceIdentifier"]) == id))
            {
                if (Text(c["targetIdentifier"]) is { } to && incoming.TryGetValue(to, out var count)) incoming[to] = count - 1;
            }
        }
    }

    /// <summary>
    /// The document as a definition shows it: as written, with the server's fields. <c>createdAt</c> and <c>createdBy</c>
    /// are the workflow's (its <paramref name="first"/> version's, as Port shows them); <c>updatedAt</c> and
    /// <c>updatedBy</c> this version's (its author, whose rights decide which secrets flow into it).
    /// </summary>
    public static JsonObject View(WorkflowDef def, WorkflowDef? first = null)
    {
        first ??= def;
        var doc = def.Extra is { } extra && extra.TryGetValue(NodeWiring.DocumentField, out var stored) ? JsonNode.Parse(stored.GetRawText())!.AsObject() : [];
        doc["version"] = def.Version;
        doc["allowAnyoneToViewRuns"] = def.AllowAnyoneToViewRuns != false;
        doc["createdAt"] = first.CreateTime is > 0 ? NodeContext.Time(first.CreateTime.Value) : null;
        doc["updatedAt"] = def.UpdateTime is > 0 ? NodeContext.Time(def.UpdateTime.Value) : null;
        doc["createdBy"] = first.CreatedBy;
        doc["updatedBy"] = def.UpdatedBy;
        return doc;
    }

    private static JsonElement Element(JsonNode? node)
    {
        using var document = JsonDocument.Parse(node?.ToJsonString() ?? "null");
        return document.RootElement.Clone();
    }
}
