"""Chart images → a value table: the classical pipeline (Tesseract labels + plot geometry).

Plain classes (no Ray): :class:`~deployments.perception.chart.pipeline.ChartParser` parses,
:func:`~deployments.perception.chart.classify.classify_chart` tells charts from pages and
photos; ``deployment.ChartDeployment`` wraps them and ``builder.build_chart_deployment`` turns
that into a Ray Serve deployment.
"""
