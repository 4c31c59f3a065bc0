#!/usr/bin/env python
from thudo.cli import main

if __name__ == "__main__":
    main()
