"""File-dialog filters shared by the window and the panels (no torch, no heavy imports)."""

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"
