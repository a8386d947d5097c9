namespace Baton.Engine.Tasks.Nodes;

/// <summary>The task types a node workflow's nodes compile to.</summary>
public static class NodeTypes
{
    public const string Trigger = "NODE_TRIGGER";
    public const string Webhook = "NODE_WEBHOOK";
    public const string Kafka = "NODE_KAFKA";
    public const string Condition = "NODE_CONDITION";
    public const string Input = "NODE_INPUT";
}
