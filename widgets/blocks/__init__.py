"""The pieces the transcript view stacks vertically: text, images."""
from conch.widgets.blocks.base import Block, RenderRefused, TextPosition
from conch.widgets.blocks.image_block import ImageBlock
from conch.widgets.blocks.text_block import StaticLines, TextBlock

__all__ = ["Block", "ImageBlock", "RenderRefused", "StaticLines", "TextBlock", "TextPosition"]
