using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Msagl.Core.Geometry.Curves;
using Microsoft.Msagl.Core.Layout;
using Microsoft.Msagl.Layout.Layered;
using Microsoft.Msagl.Miscellaneous;
using MsaglPoint = Microsoft.Msagl.Core.Geometry.Point;

namespace Baton.Server.Console.Graph;

/// <summary>
/// Draws a <see cref="DefinitionGraph"/> as SVG text on the server: MSAGL's layered (Sugiyama) layout places the boxes
/// and routes the arrows, top to bottom. Every label is HTML-escaped (a task name is an author's text), the drawing is
/// one <c>role="img"</c> element titled for screen readers, and no script or link is ever emitted.
/// </summary>
public static class SvgGraphRenderer
{
    private const double CharWidth = 7.2;
    private const double BoxHeight = 44;
    private const double Margin = 12;
    private const int MaxLabel = 48;

    public static string Render(DefinitionGraph graph, string title)
    {
        var geometry = new GeometryGraph();
        var placed = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            var (label, type) = (Shorten(node.Label), Shorten(node.Type));
            var width = Math.Max(72, (Math.Max(label.Length, type.Length) * CharWidth) + 24);
            var height = node.Kind is GraphNodeKind.Start or GraphNodeKind.End ? 28 : BoxHeight;
            var box = new Node(CurveFactory.CreateRectangleWithRoundedCorners(width, height, 6, 6, new MsaglPoint()), node);
            placed[node.Id] = box;
            geometry.Nodes.Add(box);
        }
        var edges = new List<(Edge Edge, GraphEdge Of)>();
        foreach (var edge in graph.Edges)
        {
            if (!placed.TryGetValue(edge.From, out var from) || !placed.TryGetValue(edge.To, out var to) || from == to) continue;
            var laid = new Edge(from, to);
            laid.EdgeGeometry.TargetArrowhead = new Arrowhead { Length = 8 };
            geometry.Edges.Add(laid);
            edges.Add((laid, edge));
        }
        var settings = new SugiyamaLayoutSettings { NodeSeparation = 24, LayerSeparation = 36 };
        LayoutHelpers.CalculateLayout(geometry, settings, null);
        geometry.UpdateBoundingBox();
        var bounds = geometry.BoundingBox;

        // MSAGL's y grows upwards, SVG's downwards.
        string X(double x) => (x - bounds.Left + Margin).ToString("0.#", CultureInfo.InvariantCulture);
        string Y(double y) => (bounds.Top - y + Margin).ToString("0.#", CultureInfo.InvariantCulture);
        var svgWidth = (bounds.Width + (2 * Margin)).ToString("0", CultureInfo.InvariantCulture);
        var svgHeight = (bounds.Height + (2 * Margin)).ToString("0", CultureInfo.InvariantCulture);

        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"graph\" role=\"img\" aria-labelledby=\"graph-title\" width=\"{svgWidth}\" height=\"{svgHeight}\" viewBox=\"0 0 {svgWidth} {svgHeight}\">");
        svg.Append("<title id=\"graph-title\">").Append(Escape(title)).Append("</title>");
        svg.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#556\"/></marker></defs>");
        foreach (var (laid, of) in edges)
        {
            if (laid.Curve is not { } curve) continue;
            var points = new StringBuilder();
            const int Steps = 24;
            for (var i = 0; i <= Steps; i++)
            {
                var p = curve[curve.ParStart + ((curve.ParEnd - curve.ParStart) * i / Steps)];
                points.Append(X(p.X)).Append(',').Append(Y(p.Y)).Append(' ');
            }
            if (laid.EdgeGeometry.TargetArrowhead is { } head) points.Append(X(head.TipPosition.X)).Append(',').Append(Y(head.TipPosition.Y));
            var back = of.Label == "loop" ? " stroke-dasharray=\"5 3\"" : "";
            svg.Append("<polyline fill=\"none\" stroke=\"#556\" stroke-width=\"1.4\" marker-end=\"url(#arrow)\"").Append(back)
               .Append(" points=\"").Append(points.ToString().TrimEnd()).Append("\"/>");
            if (of.Label is { } label)
            {
                var mid = curve[(curve.ParStart + curve.ParEnd) / 2];
                svg.Append("<text class=\"edge-label\" font-size=\"11\" fill=\"#1d2433\" x=\"").Append(X(mid.X + 4)).Append("\" y=\"").Append(Y(mid.Y))
                   .Append("\">").Append(Escape(Shorten(label))).Append("</text>");
            }
        }
        foreach (var box in geometry.Nodes)
        {
            var node = (GraphNode)box.UserData;
            var r = box.BoundingBox;
            var (fill, stroke) = Colours(node.Kind);
            svg.Append("<g class=\"node\"><rect x=\"").Append(X(r.Left)).Append("\" y=\"").Append(Y(r.Top))
               .Append(CultureInfo.InvariantCulture, $"\" width=\"{r.Width:0.#}\" height=\"{r.Height:0.#}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\"/>");
            var centerX = X(box.Center.X);
            if (node.Type.Length == 0)
            {
                svg.Append("<text text-anchor=\"middle\" font-size=\"12\" x=\"").Append(centerX).Append("\" y=\"").Append(Y(box.Center.Y - 4)).Append("\">")
                   .Append(Escape(Shorten(node.Label))).Append("</text>");
            }
            else
            {
                svg.Append("<text text-anchor=\"middle\" font-size=\"12\" font-weight=\"600\" x=\"").Append(centerX).Append("\" y=\"").Append(Y(box.Center.Y + 3)).Append("\">")
                   .Append(Escape(Shorten(node.Label))).Append("</text>");
                svg.Append("<text text-anchor=\"middle\" font-size=\"10\" fill=\"#445\" x=\"").Append(centerX).Append("\" y=\"").Append(Y(box.Center.Y - 13)).Append("\">")
                   .Append(Escape(Shorten(node.Type))).Append("</text>");
            }
            svg.Append("</g>");
        }
        svg.Append("</svg>");
        return svg.ToString();
    }

    private static (string Fill, string Stroke) Colours(GraphNodeKind kind) => kind switch
    {
        GraphNodeKind.Start or GraphNodeKind.End => ("#e3e6ea", "#8a93a3"),
        GraphNodeKind.Fork or GraphNodeKind.Join or GraphNodeKind.Dynamic => ("#efe6fb", "#7b4cc2"),
        GraphNodeKind.Switch or GraphNodeKind.Condition => ("#fff4d6", "#b98900"),
        GraphNodeKind.Loop => ("#e2f4ea", "#1f7a45"),
        GraphNodeKind.Terminate => ("#fde4e4", "#a40000"),
        GraphNodeKind.Trigger => ("#e0f0fb", "#1d6fa8"),
        _ => ("#ffffff", "#2456c9"),
    };

    private static string Shorten(string text) => text.Length <= MaxLabel ? text : string.Concat(text.AsSpan(0, MaxLabel - 1), "…");

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
