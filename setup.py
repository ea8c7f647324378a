from setuptools import find_packages, setup


def readme() -> str:
    with open('README.md', encoding='utf-8') as f:
        return f.read()


def get_version() -> str:
    scope = {}
    with open('mmpose_patchsel/version.py') as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname: str) -> list:
    """Requirement lines of a requirements file, without comments."""
    with open(fname) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line and not line.startswith('-')]


setup(
    name='mmpose-patchsel',
    version=get_version(),
    description='Patch selection for efficient ViT pose estimation '
    '(Kinfu & Vidal, BMVC 2023) as an MMPose 1.x plugin',
    long_description=readme(),
    long_description_content_type='text/markdown',
    keywords='computer vision, pose estimation, vision transformer, '
    'token pruning',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    include_package_data=True,
    python_requires='>=3.8',
    license='Apache License 2.0',
    install_requires=parse_requirements('requirements/runtime.txt'),
    extras_require={
        'mim': parse_requirements('requirements/mminstall.txt'),
        'tests': parse_requirements('requirements/tests.txt'),
        'deploy': parse_requirements('requirements/deploy.txt'),
    },
    zip_safe=False)
