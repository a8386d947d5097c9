using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Baton.Jq;

namespace Baton.Bench.Jq;

/// <summary>One evaluation of a compiled program on a small document (the bar: .a.b[0] at least 1,000,000 times a
/// second on one core), with the general evaluator and a template-sized program beside it.</summary>
[MemoryDiagnoser]
[MedianColumn]
public class JqBenchmarks
{
    private readonly JsonNode _doc = JsonNode.Parse("""
        {"a": {"b": [42, 43, 44], "c": "x"}, "name": "order-17", "items": [{"sku": "A", "qty": 2, "price": 3.5},
         {"sku": "B", "qty": 1, "price": 10}, {"sku": "C", "qty": 5, "price": 0.25}], "tags": ["x", "y"]}
        """)!;

    private readonly JqProgram _path = JqProgram.Compile(".a.b[0]");
    private readonly JqProgram _pathGeneral = JqProgram.Compile(".a.b[0] + 0");
    private readonly JqProgram _template = JqProgram.Compile("{id: .name, first: .a.b[0], total: ([.items[] | .qty * .price] | add), tags: (.tags | join(\",\"))}");

    [Benchmark(Baseline = true)]
    public JsonNode? SimplePath() => _path.First(_doc);

    [Benchmark]
    public int SimplePathRun() => _path.Run(_doc).Count;

    [Benchmark]
    public JsonNode? PathThroughGeneralEvaluator() => _pathGeneral.First(_doc);

    [Benchmark]
    public JsonNode? TemplateObject() => _template.First(_doc);

    private readonly string _templateSource = "{id: .name, first: .a.b[0], total: ([.items[] | .qty * .price] | add)}";

    [Benchmark]
    public JqProgram CompileTemplate() => JqProgram.Compile(_templateSource);
}
