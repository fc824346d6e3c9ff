"""Open a QGIS project as QGIS desktop does, headless, and report what a person would see.

Run by Debian's /usr/bin/python3 with its QGIS bindings (python3-qgis), not by the project's
virtualenv: `python3 open_project.py PROJECT.qgs IMAGE.png`. Prints one line of JSON: the project's
CRS, the canvas's CRS and extent, the saved default view, each layer (valid, features, renderer) and
how many pixels of a render of the saved extent differ from the background.
"""

import json
import sys

from qgis.core import QgsApplication, QgsMapRendererSequentialJob, QgsProject
from qgis.gui import QgsMapCanvas
from qgis.PyQt.QtCore import QSize

project_path, image_path = sys.argv[1], sys.argv[2]
QgsApplication.setPrefixPath("/usr", True)
application = QgsApplication([], True)
application.initQgis()

project = QgsProject.instance()
# QGIS desktop's main canvas: it takes the extent saved in the project's <mapcanvas name="theMapCanvas">
# and follows the project's CRS (QgisApp connects the two), so a project whose CRS QGIS ignores opens
# on its saved metres read as degrees.
canvas = QgsMapCanvas()
canvas.setObjectName("theMapCanvas")
canvas.resize(QSize(600, 600))
project.crsChanged.connect(lambda: canvas.setDestinationCrs(project.crs()))
if not project.read(project_path):
    print(json.dumps({"error": project.error()}))
    sys.exit(1)

layers = {}
for layer in project.mapLayers().values():
    typename = layer.source().split("typename='")[1].split("'")[0]
    valid = layer.isValid()
    renderer = layer.renderer() if valid else None
    layers[typename] = {"valid": valid, "count": layer.featureCount() if valid else None,
                        "features": sum(1 for _ in layer.getFeatures()) if valid else 0,
                        "renderer": renderer.type() if renderer else None, "labels": layer.labelsEnabled()}

settings = canvas.mapSettings()
settings.setOutputSize(QSize(400, 400))
settings.setLayers([layer for layer in project.layerTreeRoot().checkedLayers() if layer.isValid()])
job = QgsMapRendererSequentialJob(settings)
job.start()
job.waitForFinished()
image = job.renderedImage()
image.save(image_path)
background = settings.backgroundColor().rgb()
drawn = sum(1 for x in range(image.width()) for y in range(image.height()) if image.pixel(x, y) != background)

extent = canvas.extent()
default = project.viewSettings().defaultViewExtent()
print(json.dumps({
    "project_crs": project.crs().authid(),
    "canvas_crs": canvas.mapSettings().destinationCrs().authid(),
    "canvas_extent": [extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()],
    "default_view": [default.xMinimum(), default.yMinimum(), default.xMaximum(), default.yMaximum()],
    "default_view_crs": default.crs().authid(),
    "layers": layers,
    "drawn_pixels": drawn,
    "pixels": image.width() * image.height(),
}))
application.exitQgis()
