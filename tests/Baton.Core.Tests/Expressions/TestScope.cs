using System.Text.Json.Nodes;
using Baton.Core.Expressions;

namespace Baton.Core.Tests.Expressions;

/// <summary>A scope whose roots are the properties of one JSON object.</summary>
internal sealed class TestScope(JsonObject roots) : IExpressionScope
{
    public JsonObject Roots { get; } = roots;

    public bool TryGetRoot(string name, out JsonNode? value) => Roots.TryGetPropertyValue(name, out value);

    /// <summary>A workflow with assorted inputs, one finished task and a current task id.</summary>
    public static TestScope Sample() => new(JsonNode.Parse("""
        {
          "workflow": {
            "workflowId": "wf-1",
            "status": "RUNNING",
            "input": {
              "name": "ada",
              "count": 3,
              "ratio": 1.5,
              "flag": true,
              "nothing": null,
              "key": "name",
              "odd-key": "dash",
              "my key": "spaced",
              "tags": ["a", "b", "c", "d"],
              "address": { "city": "Paris", "zip": "75001" },
              "items": [
                { "id": 1, "kind": "x", "price": 5 },
                { "id": 2, "kind": "y", "price": 15, "code": "2" },
                { "id": 3, "kind": "x", "price": 25, "onSale": true }
              ]
            }
          },
          "task_1": {
            "taskId": "t-1",
            "status": "COMPLETED",
            "output": { "result": { "ok": true, "list": [1, 2, 3] }, "name": "deep" }
          },
          "CPEWF_TASK_ID": "task-42"
        }
        """)!.AsObject());
}
