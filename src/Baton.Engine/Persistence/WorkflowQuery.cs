using Baton.Core.Runs;

namespace Baton.Engine.Persistence;

/// <summary>What a workflow search asks for. Every criterion that is set must hold.</summary>
public sealed record WorkflowQuery
{
    public string? WorkflowName { get; init; }
    public int? Version { get; init; }
    public IReadOnlyList<WorkflowStatus>? Statuses { get; init; }
    public string? CorrelationId { get; init; }
    public string? WorkflowId { get; init; }
    /// <summary>Epoch ms, inclusive.</summary>
    public long? StartedAfter { get; init; }
    /// <summary>Epoch ms, inclusive.</summary>
    public long? StartedBefore { get; init; }
    /// <summary>Only runs started by this principal (its id, as in the run's createdBy).</summary>
    public string? StartedBy { get; init; }
    /// <summary>Text that must occur in the run's id, correlation id, input or output.</summary>
    public string? FreeText { get; init; }
    public int Start { get; init; }
    public int Size { get; init; } = 100;
    /// <summary>Newest first unless false.</summary>
    public bool NewestFirst { get; init; } = true;
    /// <summary>When set, only the runs this caller may see. Null: every run.</summary>
    public RunVisibility? VisibleTo { get; init; }
}

/// <summary>The runs a caller may see: those it started, and every run of the workflows it may see all runs of.</summary>
public sealed record RunVisibility(string Starter, IReadOnlyCollection<string> WorkflowNames);
